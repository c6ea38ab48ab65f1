"""When a batch ships, and shipping it exactly once.

A batch of one day's pending files ships when it holds ``files_per_manifest`` files or
``manifest_max_mb``, or when its oldest file arrived ``batch_max_age_seconds`` ago. Shipping
takes the batching lease, moves each file ``pending -> manifested`` for a new manifest id (a
conditional write per file: a file another builder took is skipped), then writes the manifest
of exactly the files it moved, create-only. A builder that dies in between leaves files
``manifested`` for a manifest that does not exist: once their lease has expired (it outlives
the builder's timeout, so its builder is gone), ``release_expired`` puts them back to
``pending``. Needs only boto3: the functions ship it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from botocore.exceptions import ClientError

from applications_repo.ndjson_batching.manifest import (
    Manifest,
    files_of,
    manifest_key,
    new_manifest_id,
)
from applications_repo.ndjson_batching.tracking import (
    ARRIVED,
    PARTITION_KEY,
    SORT_KEY,
    FileStatus,
    TrackingTable,
    millis,
)
from applications_repo.ndjson_batching.validation import FileRules

PENDING_READ_LIMIT = 10_000
"""Pending files one flush looks at (the oldest first)."""


@dataclass(frozen=True)
class BatchRules:
    """When a batch is ready."""

    max_files: int
    max_bytes: int
    max_age_seconds: int
    lease_seconds: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> BatchRules:
        return cls(
            max_files=int(environ["FILES_PER_MANIFEST"]),
            max_bytes=int(environ["MANIFEST_MAX_BYTES"]),
            max_age_seconds=int(environ["BATCH_MAX_AGE_SECONDS"]),
            lease_seconds=int(environ["LEASE_SECONDS"]),
        )


@dataclass(frozen=True)
class BatchConfig:
    """What the builder and the state manager are both told through their environment: the
    buckets, the tracking table, what a file must be, when a batch ships."""

    input_bucket: str
    manifest_bucket: str
    tracking_table: str
    files: FileRules
    rules: BatchRules

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> BatchConfig:
        return cls(
            input_bucket=environ["INPUT_BUCKET"],
            manifest_bucket=environ["MANIFEST_BUCKET"],
            tracking_table=environ["TRACKING_TABLE"],
            files=FileRules.from_environ(environ),
            rules=BatchRules.from_environ(environ),
        )


def ready_batches(
    pending: Iterable[Mapping[str, Any]], rules: BatchRules, now: float
) -> list[list[Mapping[str, Any]]]:
    """The batches ready to ship from ``pending`` (oldest first): per day, cut at the file
    and byte limits; a full batch ships, a partial one once its oldest file is old enough."""
    ready = []
    by_day = sorted(pending, key=lambda item: (item[PARTITION_KEY], item[ARRIVED]))
    for _, files in groupby(by_day, key=lambda item: item[PARTITION_KEY]):
        batch: list[Mapping[str, Any]] = []
        size = 0
        for item in files:
            if batch and (len(batch) == rules.max_files or size + item["size"] > rules.max_bytes):
                ready.append(batch)
                batch, size = [], 0
            batch.append(item)
            size += int(item["size"])
        if not batch:
            continue
        full = len(batch) == rules.max_files or size >= rules.max_bytes
        oldest = min(item[ARRIVED] for item in batch)
        if full or oldest <= millis(now - rules.max_age_seconds):
            ready.append(batch)
    return ready


def flush(
    tracking: TrackingTable,
    s3: Any,
    manifest_bucket: str,
    rules: BatchRules,
    *,
    owner: str,
    clock: Callable[[], float],
) -> list[Manifest]:
    """Ship every ready batch; the manifests written. Nothing when another builder holds
    the batching lease (it ships what is ready)."""
    if not tracking.take_lease(owner, clock(), rules.lease_seconds):
        return []
    try:
        pending = tracking.in_status(FileStatus.PENDING, limit=PENDING_READ_LIMIT)
        return [
            manifest
            for batch in ready_batches(pending, rules, clock())
            if (manifest := ship(tracking, s3, manifest_bucket, batch, rules, clock=clock))
        ]
    finally:
        tracking.give_back_lease(owner)


def ship(
    tracking: TrackingTable,
    s3: Any,
    manifest_bucket: str,
    batch: Sequence[Mapping[str, Any]],
    rules: BatchRules,
    *,
    clock: Callable[[], float],
) -> Manifest | None:
    """Move the batch's files to ``manifested`` and write the manifest of those that moved."""
    now = clock()
    manifest_id = new_manifest_id(now)
    day = batch[0][PARTITION_KEY]
    key = manifest_key(day, manifest_id)
    taken = [
        item
        for item in batch
        if tracking.move(
            {PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]},
            FileStatus.MANIFESTED,
            now,
            manifest_id=None,
            set_fields={
                "manifest_id": manifest_id,
                "manifest_key": key,
                "lease_expires": millis(now + rules.lease_seconds),
            },
        )
    ]
    if not taken:
        return None
    manifest = Manifest(
        manifest_id=manifest_id,
        date_prefix=day,
        created_at=datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        files=files_of(taken),
    )
    s3.put_object(
        Bucket=manifest_bucket,
        Key=manifest.key,
        Body=manifest.to_json(),
        ContentType="application/json",
        IfNoneMatch="*",
    )
    return manifest


def release_expired(
    tracking: TrackingTable, s3: Any, manifest_bucket: str, *, clock: Callable[[], float]
) -> list[str]:
    """Files whose builder died before it wrote their manifest (lease expired, no manifest
    object) back to ``pending``; and an expired batching lease deleted. Their names."""
    now = clock()
    released = []
    if owner := tracking.release_expired_lease(now):
        released.append(f"batching lease of {owner}")
    for item in tracking.in_status(FileStatus.MANIFESTED):
        if item.get("lease_expires", 0) >= millis(now):
            continue
        if _exists(s3, manifest_bucket, item["manifest_key"]):
            continue
        moved = tracking.move(
            {PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]},
            FileStatus.PENDING,
            now,
            manifest_id=item["manifest_id"],
            remove=("manifest_id", "manifest_key", "lease_expires"),
            reason=f"lease expired before manifest {item['manifest_id']} was written",
        )
        if moved:
            released.append(item[SORT_KEY])
    return released


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
