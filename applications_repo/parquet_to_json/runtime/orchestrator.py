"""GlueParquetToJsonOrchestrator: every upload to the source bucket gets its metadata item,
and a valid one its run.

Fired by the source bucket's "Object Created" events through an EventBridge rule. For each
object version it

1. validates the upload (``uploads.parquet_problem``: size limits, Parquet's magic bytes at
   both ends, a footer that fits), reading 12 bytes of it;
2. creates its item, keyed ``{key}@{version}``, with a conditional write: PENDING, or
   REJECTED with the reason (the upload is then quarantined with it). A repeated event finds
   the item and creates nothing; a new version of the key is a new item, linked to the
   previous version's (``previous_file_id``);
3. starts its run (``starting.start``): on the single-node function or the Glue job by size,
   claimed with a token so that no event starts two runs. A refused start leaves the item
   PENDING with the reason; the sweeper starts it later.

An error of S3 or DynamoDB raises, so that Lambda retries the event and then sends it to the
dead-letter queue: no upload is lost. The function ships this module, ``uploads``,
``metadata``, ``starting``, its metric names, ``shared/quarantine.py``, ``shared/outcomes.py``,
``shared/clock.py`` and Powertools.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from applications_repo.parquet_to_json import metrics as own
from applications_repo.parquet_to_json.metadata import FILE_ID, MetadataTable, NewFile, Status
from applications_repo.parquet_to_json.metadata import file_id as item_id_of
from applications_repo.parquet_to_json.starting import (
    ALREADY_STARTED,
    STARTED,
    StartConfig,
    start,
    start_calls,
)
from applications_repo.parquet_to_json.uploads import Limits, output_keys, parquet_problem
from shared import metrics as names
from shared.clock import now
from shared.outcomes import REJECTED, HandlerOutcome
from shared.quarantine import quarantine, quarantine_calls

TABLE_ARN = "arn:{partition}:dynamodb:{region}:{account}:table/{env.METADATA_TABLE}"
AWS_CALLS = (
    ("s3:GetObject", "arn:{partition}:s3:::{env.SOURCE_BUCKET}/*"),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{env.SOURCE_BUCKET}/*"),
    *quarantine_calls("{env.SOURCE_BUCKET}"),
    ("dynamodb:GetItem", TABLE_ARN),
    ("dynamodb:UpdateItem", TABLE_ARN),
    ("dynamodb:Query", f"{TABLE_ARN}/index/by-source"),
    *start_calls(),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
DUPLICATE = "DUPLICATE"
logger = Logger(service=own.ORCHESTRATOR_SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=own.ORCHESTRATOR_SERVICE)


@dataclass(frozen=True)
class OrchestratorConfig:
    """What the function is told through its environment."""

    start: StartConfig
    output_bucket: str
    limits: Limits

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> OrchestratorConfig:
        return cls(
            start=StartConfig.from_environ(environ),
            output_bucket=environ["OUTPUT_BUCKET"],
            limits=Limits(int(environ["MIN_FILE_BYTES"]), int(environ["MAX_FILE_BYTES"])),
        )


@dataclass(frozen=True)
class Clients:
    """The AWS clients the function uses."""

    s3: Any
    glue: Any
    lambda_: Any
    table: MetadataTable


def handle(event: Mapping[str, Any], aws: Clients, config: OrchestratorConfig, by: str) -> dict:
    """Record the event's upload and start its run, or reject it."""
    detail = S3EventBridgeNotificationEvent(dict(event)).detail
    bucket, key = detail.bucket.name, detail.object.key
    version = detail.object.get("version-id")
    version = version if version and version != "null" else None
    size = int(detail.object.size or 0)
    uri = f"s3://{bucket}/{key}"
    item_id = item_id_of(key, version)
    logger.append_keys(object=uri, version_id=version, file_id=item_id)
    metrics.add_metric(name=own.FILES_RECEIVED, unit=MetricUnit.Count, value=1)
    keys = output_keys(key, event_time(event))
    previous = aws.table.latest_of(uri)
    new = NewFile(
        file_id=item_id,
        source_file_path=uri,
        source_version=version,
        output_file_path=f"s3://{config.output_bucket}/{keys.output}",
        rejects_file_path=f"s3://{config.output_bucket}/{keys.rejects}",
        file_size_bytes=size,
        previous_file_id=previous[FILE_ID] if previous and previous[FILE_ID] != item_id else None,
    )
    problem = parquet_problem(size, _reader(aws.s3, bucket, key, version), config.limits)
    if problem:
        return _reject(aws, new, f"{uri} {problem}", by)
    if not aws.table.create(new, Status.PENDING, by=by):
        existing = aws.table.get(item_id) or {}
        if existing.get("start_token") or existing.get("processing_status") != Status.PENDING:
            return _duplicate(uri, existing)
    item = aws.table.get(item_id)
    if item is None:
        raise LookupError(f"{item_id} was created but cannot be read back")
    result = start(item, aws.table, aws.glue, aws.lambda_, config.start)
    if result.status == ALREADY_STARTED:
        return _duplicate(uri, item)
    if result.status == STARTED:
        metrics.add_metric(name=own.RUNS_STARTED, unit=MetricUnit.Count, value=1)
        logger.info("run started", extra={"runs_on": result.runs_on, "run": result.run_id})
        return HandlerOutcome(status=STARTED, object=uri, job_run_id=result.run_id).to_event()
    metrics.add_metric(name=own.RUNS_WAITING, unit=MetricUnit.Count, value=1)
    logger.warning("the run was refused; the sweeper starts it", extra={"reason": result.reason})
    return HandlerOutcome(status=result.status, object=uri, reason=result.reason).to_event()


def event_time(event: Mapping[str, Any]) -> datetime:
    """When the object was created (the event's time): the day of a key outside
    ``raw-data/YYYY/MM/DD/``."""
    stamp = event.get("time")
    if not stamp:
        return datetime.fromtimestamp(now(), UTC)
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


def _reader(s3: Any, bucket: str, key: str, version: str | None) -> Any:
    extra = {"VersionId": version} if version else {}

    def read(start: int, length: int) -> bytes:
        end = start + length - 1
        body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end}", **extra)
        return body["Body"].read()

    return read


def _reject(aws: Clients, new: NewFile, reason: str, by: str) -> dict:
    """Quarantine the upload with its reason, then record it REJECTED (a repeated event finds
    the item; its quarantine copy is the same)."""
    bucket, _, key = new.source_file_path.removeprefix("s3://").partition("/")
    kept = quarantine(
        aws.s3,
        bucket=bucket,
        key=key,
        version_id=new.source_version,
        size=new.file_size_bytes,
        reason=reason,
        rejected_by=by,
    )
    if not aws.table.create(new, Status.REJECTED, by=by, error=reason, quarantine=kept):
        return _duplicate(new.source_file_path, aws.table.get(new.file_id) or {})
    metrics.add_metric(name=own.FILES_REJECTED_AT_UPLOAD, unit=MetricUnit.Count, value=1)
    logger.warning("upload rejected", extra={"reason": reason})
    return HandlerOutcome(
        status=REJECTED, object=new.source_file_path, reason=reason, quarantine=kept
    ).to_event()


def _duplicate(uri: str, item: Mapping[str, Any]) -> dict:
    metrics.add_metric(name=own.DUPLICATE_EVENTS, unit=MetricUnit.Count, value=1)
    logger.info(
        "repeated event: the upload has its item", extra={"status": item.get("processing_status")}
    )
    return HandlerOutcome(
        status=str(item.get("processing_status", DUPLICATE)),
        object=uri,
        job_run_id=item.get("job_run_id"),
        reason=str(item.get("error_message", "")),
        duplicate=True,
    ).to_event()


@cache
def clients(table_name: str) -> Clients:
    """The clients, made once per execution environment."""
    return Clients(
        s3=boto3.client("s3"),
        glue=boto3.client("glue"),
        lambda_=boto3.client("lambda"),
        table=MetadataTable(boto3.resource("dynamodb").Table(table_name)),
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict:
    """Lambda entry point."""
    config = OrchestratorConfig.from_environ(os.environ)
    return handle(event, clients(config.start.metadata_table), config, context.function_name)
