"""What became of each object's event: which function handled it and what it answered,
read from the local runtime's invocations (the handler's ``HandlerOutcome``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from shared.local.functions import FAILED, Invocation
from shared.outcomes import HandlerOutcome

ObjectIdentity = tuple[str, str, str | None]
"""(bucket, key, version id) of one object version."""
DEAD_LETTERED = "DEAD_LETTERED"
HANDLED = "HANDLED"
"""The function returned without the platform's ``HandlerOutcome``."""


@dataclass
class Delivery:
    """The outcome of one object's event at the function that handled it."""

    bucket: str
    key: str
    version_id: str | None
    function_name: str
    event: dict[str, Any]
    outcome: str = "PENDING"
    detail: str = ""
    job_run_id: str | None = None
    quarantine: str | None = None
    attempts: int = 0
    duplicates: int = 0


def object_of(event: Any) -> ObjectIdentity | None:
    """The object an S3 event (EventBridge's or a notification's) is about."""
    if not isinstance(event, Mapping):
        return None
    detail = event.get("detail")
    if isinstance(detail, Mapping) and "bucket" in detail and "object" in detail:
        found = detail["object"]
        return detail["bucket"]["name"], unquote_plus(found["key"]), found.get("version-id")
    records = event.get("Records")
    if isinstance(records, list) and records and "s3" in records[0]:
        s3 = records[0]["s3"]
        return (
            s3["bucket"]["name"],
            unquote_plus(s3["object"]["key"]),
            s3["object"].get("versionId"),
        )
    return None


class DeliveryLog:
    """Each object's delivery, kept as the local runtime's invocations finish."""

    def __init__(self, progress: Callable[[str], None] = lambda line: None) -> None:
        self.deliveries: dict[ObjectIdentity, Delivery] = {}
        self.progress = progress
        self._lock = threading.Lock()

    def record(self, invocation: Invocation) -> None:
        identity = object_of(invocation.event)
        if identity is None:
            return
        with self._lock:
            delivery = self.deliveries.get(identity)
            if delivery is None:
                delivery = Delivery(*identity, invocation.function, invocation.event)
                self.deliveries[identity] = delivery
            delivery.attempts += invocation.attempts
            if invocation.status == FAILED:
                delivery.outcome = DEAD_LETTERED if invocation.sent_to else FAILED
                delivery.detail = invocation.error or ""
                return
            key = identity[1]
            result = invocation.result
            outcome = (
                HandlerOutcome.from_event(result)
                if isinstance(result, Mapping) and "status" in result
                else HandlerOutcome(status=HANDLED)
            )
            if outcome.duplicate and delivery.outcome != "PENDING":
                delivery.duplicates += 1
                self.progress(f"{key}: repeated event recognised, nothing started")
                return
            delivery.outcome = outcome.status
            delivery.job_run_id = outcome.job_run_id or delivery.job_run_id
            delivery.detail = outcome.reason
            delivery.quarantine = outcome.quarantine
        started = f" {outcome.job_run_id[:11]}" if outcome.job_run_id else ""
        reason = f": {outcome.reason}" if outcome.reason else ""
        self.progress(f"{invocation.function} {outcome.status.lower()}{started} for {key}{reason}")

    def get(self, identity: ObjectIdentity) -> Delivery | None:
        return self.deliveries.get(identity)

    def __getitem__(self, identity: ObjectIdentity) -> Delivery:
        return self.deliveries[identity]
