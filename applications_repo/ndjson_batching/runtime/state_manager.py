"""GlueNdjsonStateManager: the operators' tool (``gdp ndjson``) and the scheduled sweeper and
health check. Not part of the data flow: every change it makes is a conditional status move
of the tracking table (``tracking``), so it cannot race the builder or the job into a file in
two manifests.

Actions (the event's ``action``):

- ``status``: counts by status and the batching lease; with ``status`` and/or ``date``, the
  files (at most ``limit``).
- ``retry``: re-runs the manifests of failed files and of files stuck (``stuck_after_minutes``
  without a change) as ``manifested`` or ``processing``. A re-run replaces its manifest's
  output.
- ``release``: takes back an expired batching lease, and puts files whose builder died before
  it wrote their manifest back to ``pending``.
- ``requeue``: checks a quarantined file again with the current rules (after a fix of the
  rules; a fixed file is uploaded again instead and is a new version) and, when it passes,
  makes it ``pending``.
- ``sweep`` (scheduled): ``release``, then ships every batch that is ready, the aged ones
  included: a trickle of files still ships.
- ``health`` (scheduled in prod): counts stuck files, publishes them, and alerts the stage's
  topic when there are any.

The function ships this module, the application's ``batching``, ``manifest``, ``tracking``,
``validation`` and ``metrics``, ``shared/clock.py`` and Powertools.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from applications_repo.ndjson_batching import metrics as own
from applications_repo.ndjson_batching.batching import BatchConfig, flush, release_expired
from applications_repo.ndjson_batching.tracking import (
    ARRIVED,
    IN_FLIGHT,
    PARTITION_KEY,
    SORT_KEY,
    FileStatus,
    TrackingTable,
    iso,
    millis,
    table_calls,
)
from applications_repo.ndjson_batching.validation import inspect
from shared import clock
from shared import metrics as names

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
ACTIONS = ("status", "retry", "release", "requeue", "sweep", "health")
AWS_CALLS = (
    ("s3:GetObject", "arn:{partition}:s3:::{env.MANIFEST_BUCKET}/*"),
    ("s3:PutObject", "arn:{partition}:s3:::{env.MANIFEST_BUCKET}/*"),
    ("s3:GetObject", "arn:{partition}:s3:::{env.INPUT_BUCKET}/*"),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{env.INPUT_BUCKET}/*"),
    *table_calls("{env.TRACKING_TABLE}"),
    ("glue:StartJobRun", "arn:{partition}:glue:{region}:{account}:job/{env.JOB_NAME}"),
    ("sns:Publish", "{env.ALERTS_TOPIC_ARN}"),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
logger = Logger(service=own.STATE_SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=own.STATE_SERVICE)


class UnknownActionError(ValueError):
    """The event names no action this function has."""


@dataclass(frozen=True)
class StateConfig:
    """What the function is told through its environment: the builder's settings, and what
    it needs beyond them."""

    batch: BatchConfig
    job_name: str
    alerts_topic_arn: str
    stuck_after_minutes: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> StateConfig:
        return cls(
            batch=BatchConfig.from_environ(environ),
            job_name=environ["JOB_NAME"],
            alerts_topic_arn=environ["ALERTS_TOPIC_ARN"],
            stuck_after_minutes=int(environ["STUCK_AFTER_MINUTES"]),
        )


@dataclass(frozen=True)
class Clients:
    s3: Any
    glue: Any
    sns: Any
    tracking: TrackingTable


@cache
def clients(table: str) -> Clients:
    return Clients(
        boto3.client("s3"),
        boto3.client("glue"),
        boto3.client("sns"),
        TrackingTable(boto3.resource("dynamodb").Table(table)),
    )


def act(event: Mapping[str, Any], aws: Clients, config: StateConfig, owner: str) -> dict[str, Any]:
    """Do the event's action; its result."""
    action = event.get("action")
    _count(own.ACTIONS, 1)
    if action == "status":
        return status(aws.tracking, event)
    if action == "retry":
        minutes = int(event.get("stuck_after_minutes", config.stuck_after_minutes))
        return retry(aws, config, minutes)
    if action == "release":
        return {"released": release(aws, config.batch)}
    if action == "requeue":
        return requeue(aws, config, str(event["key"]), event.get("version_id"))
    if action == "sweep":
        released = release(aws, config.batch)
        manifests = flush(
            aws.tracking,
            aws.s3,
            config.batch.manifest_bucket,
            config.batch.rules,
            owner=owner,
            clock=clock.now,
        )
        _count(own.MANIFESTS_WRITTEN, len(manifests))
        _count(own.FILES_MANIFESTED, sum(len(m.files) for m in manifests))
        waited = oldest_pending_seconds(aws.tracking)
        return {
            "released": released,
            "manifests": [m.key for m in manifests],
            "oldest_pending_seconds": waited,
        }
    if action == "health":
        return health(aws, config)
    raise UnknownActionError(f"action {action!r}: expected one of {', '.join(ACTIONS)}")


def release(aws: Clients, batch: BatchConfig) -> list[str]:
    """Take back an expired batching lease and the files of builders that died."""
    released = release_expired(aws.tracking, aws.s3, batch.manifest_bucket, clock=clock.now)
    _count(own.LEASES_RELEASED, len(released))
    return released


def status(tracking: TrackingTable, event: Mapping[str, Any]) -> dict[str, Any]:
    """Counts by status, the lease, and the files asked for."""
    limit = min(int(event.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
    result: dict[str, Any] = {
        "counts": {s.value: tracking.count(s) for s in FileStatus},
        "lease": tracking.lease(),
    }
    wanted, day = event.get("status"), event.get("date")
    if wanted or day:
        found = tracking.in_status(FileStatus(wanted)) if wanted else tracking.on_date(str(day))
        files = []
        for item in found:
            if (day and item[PARTITION_KEY] != day) or item[SORT_KEY].startswith("#"):
                continue
            files.append(_shown(item))
            if len(files) >= limit:
                break
        result["files"] = files
    return result


def retry(aws: Clients, config: StateConfig, stuck_after_minutes: int) -> dict[str, Any]:
    """Re-run the manifests of failed and stuck files."""
    before = clock.now() - stuck_after_minutes * 60
    manifests: dict[str, list[str]] = {}
    candidates = [
        *aws.tracking.in_status(FileStatus.FAILED),
        *(
            item
            for status in (FileStatus.MANIFESTED, FileStatus.PROCESSING)
            for item in aws.tracking.in_status(status)
            if item["updated_at"] < millis(before)
        ),
    ]
    for item in candidates:
        if "manifest_key" in item:
            manifests.setdefault(item["manifest_key"], []).append(item[SORT_KEY])
    restarted, refused = [], []
    for key, files in sorted(manifests.items()):
        try:
            run = aws.glue.start_job_run(
                JobName=config.job_name,
                Arguments={
                    "--manifest_bucket": config.batch.manifest_bucket,
                    "--manifest_key": key,
                },
            )
        except aws.glue.exceptions.ClientError as error:
            refused.append({"manifest": key, "error": error.response["Error"]["Message"]})
            continue
        restarted.append({"manifest": key, "run_id": run["JobRunId"], "files": len(files)})
    return {"restarted": restarted, "refused": refused}


def requeue(aws: Clients, config: StateConfig, key: str, version_id: str | None) -> dict[str, Any]:
    """Check a quarantined file again; ``pending`` when it passes now."""
    requeued, still = [], []
    for item in aws.tracking.in_status(FileStatus.QUARANTINED):
        if item["key"] != key or (version_id and item.get("version_id") != version_id):
            continue
        seen = inspect(aws.s3, item["bucket"], key, item.get("version_id"), config.batch.files)
        if seen.problem:
            still.append({"file": item[SORT_KEY], "reason": seen.problem})
            continue
        moved = aws.tracking.move(
            {PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]},
            FileStatus.PENDING,
            clock.now(),
            manifest_id=None,
            remove=("reason",),
        )
        if moved:
            requeued.append(item[SORT_KEY])
    return {"requeued": requeued, "still_invalid": still}


def health(aws: Clients, config: StateConfig) -> dict[str, Any]:
    """Stuck files per status; alerts when there are any."""
    now = clock.now()
    before = millis(now - config.stuck_after_minutes * 60)
    stuck = {
        s.value: sum(1 for item in aws.tracking.in_status(s) if item["updated_at"] < before)
        for s in IN_FLIGHT
    }
    oldest_seconds = oldest_pending_seconds(aws.tracking)
    _count(own.STUCK_FILES, sum(stuck.values()))
    if any(stuck.values()):
        aws.sns.publish(
            TopicArn=config.alerts_topic_arn,
            Subject=f"{sum(stuck.values())} NDJSON files stuck"[:100],
            Message=json.dumps(
                {
                    "stuck": stuck,
                    "stuck_after_minutes": config.stuck_after_minutes,
                    "what_to_do": "gdp ndjson status --status <status>; gdp ndjson retry",
                }
            ),
        )
    return {"stuck": stuck, "oldest_pending_seconds": oldest_seconds}


def oldest_pending_seconds(tracking: TrackingTable) -> float:
    """How long the oldest pending file has waited (published: the batch-age alarm)."""
    oldest = next(tracking.in_status(FileStatus.PENDING, limit=1), None)
    waited = (millis(clock.now()) - oldest[ARRIVED]) / 1000 if oldest else 0.0
    metrics.add_metric(name=own.OLDEST_PENDING_SECONDS, unit=MetricUnit.Seconds, value=waited)
    return waited


def _shown(item: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in item.items() if k != "history"}
    shown["history"] = [{**entry, "at": iso(entry["at"])} for entry in item.get("history", [])]
    for field in (ARRIVED, "updated_at", "lease_expires"):
        if field in shown:
            shown[field] = iso(shown[field])
    return shown


def _count(name: str, value: int) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    config = StateConfig.from_environ(os.environ)
    result = act(event, clients(config.batch.tracking_table), config, owner=context.aws_request_id)
    logger.info("done", extra={"action": event.get("action")})
    return result
