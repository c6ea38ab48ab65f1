"""The stage's buckets as data: what the infrastructure app deploys and the local run
provisions (spec: S3 Buckets)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import StageSettings
from shared.naming import QUARANTINE_PREFIX, StageNaming

ABORT_INCOMPLETE_UPLOADS_DAYS = 7


@dataclass(frozen=True)
class BucketPlan:
    """One bucket of a stage.

    Attributes:
        role: what the bucket is for (``access_logs``, ``input``, ``output``, ``assets``).
        name: from the naming module.
        versioned: every version of every object is kept.
        expiration_days: current objects expire after this many days (``None``: never).
        noncurrent_expiration_days: superseded versions expire after this many days.
        event_bridge: object events go to EventBridge.
        logged: server access logs go to the stage's access-log bucket.
        prefix_expirations: (prefix, days) for objects that expire sooner than the rest.
    """

    role: str
    name: str
    versioned: bool
    expiration_days: int | None
    noncurrent_expiration_days: int | None
    event_bridge: bool
    logged: bool
    prefix_expirations: tuple[tuple[str, int], ...] = ()


def bucket_plans(naming: StageNaming, settings: StageSettings) -> list[BucketPlan]:
    """The stage's buckets, the access-log bucket first."""
    storage = settings.storage
    noncurrent = storage.noncurrent_version_expiration_days
    return [
        BucketPlan(
            "access_logs",
            naming.access_logs_bucket,
            versioned=False,
            expiration_days=storage.access_logs_expiration_days,
            noncurrent_expiration_days=None,
            event_bridge=False,
            logged=False,
        ),
        BucketPlan(
            "input",
            naming.input_bucket,
            versioned=True,
            expiration_days=storage.input_expiration_days,
            noncurrent_expiration_days=noncurrent,
            event_bridge=True,
            logged=True,
            prefix_expirations=((QUARANTINE_PREFIX, storage.quarantine_expiration_days),),
        ),
        BucketPlan(
            "output",
            naming.output_bucket,
            versioned=True,
            expiration_days=storage.output_expiration_days,
            noncurrent_expiration_days=noncurrent,
            event_bridge=False,
            logged=True,
        ),
        BucketPlan(
            "assets",
            naming.assets_bucket,
            versioned=False,
            expiration_days=None,
            noncurrent_expiration_days=None,
            event_bridge=False,
            logged=True,
        ),
    ]
