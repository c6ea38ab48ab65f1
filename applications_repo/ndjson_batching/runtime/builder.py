"""GlueNdjsonManifestBuilder: fed by the file queue (S3 "Object Created" events through
EventBridge, ten at a time), it checks each file, tracks it, quarantines an invalid one with
its reason, and then ships every batch that is ready (``batching``).

A message is deleted from the queue only once its file is tracked (Powertools' partial batch
response lists the ones that failed; they come back after the visibility timeout and, after
``maxReceiveCount`` receives, wait in the dead-letter queue). The same event delivered twice
finds its file tracked already and does nothing; a new version of a key is a new file.

The function ships this module, the application's ``manifest``, ``tracking``, ``batching``,
``validation`` and ``metrics``, ``shared/quarantine.py``, ``shared/clock.py`` and Powertools.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from applications_repo.ndjson_batching import metrics as own
from applications_repo.ndjson_batching.batching import BatchConfig, flush
from applications_repo.ndjson_batching.tracking import (
    FileStatus,
    TrackedFile,
    TrackingTable,
    table_calls,
)
from applications_repo.ndjson_batching.validation import inspect
from shared import clock
from shared import metrics as names
from shared.quarantine import QUARANTINE_PREFIX, quarantine, quarantine_calls

AWS_CALLS = (
    ("s3:GetObject", "arn:{partition}:s3:::{env.INPUT_BUCKET}/*"),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{env.INPUT_BUCKET}/*"),
    *quarantine_calls("{env.INPUT_BUCKET}"),
    ("s3:PutObject", "arn:{partition}:s3:::{env.MANIFEST_BUCKET}/*"),
    *table_calls("{env.TRACKING_TABLE}"),
    ("sqs:ReceiveMessage", "arn:{partition}:sqs:{region}:{account}:{env.QUEUE}"),
    ("sqs:DeleteMessage", "arn:{partition}:sqs:{region}:{account}:{env.QUEUE}"),
    ("sqs:GetQueueAttributes", "arn:{partition}:sqs:{region}:{account}:{env.QUEUE}"),
)
"""The AWS calls this function makes, and Lambda's queue poller makes with its role
(checked against its role by tests/deployability)."""
logger = Logger(service=own.BUILDER_SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=own.BUILDER_SERVICE)
processor = BatchProcessor(event_type=EventType.SQS)


@dataclass(frozen=True)
class Clients:
    s3: Any
    tracking: TrackingTable


@cache
def clients(table: str) -> Clients:
    return Clients(boto3.client("s3"), TrackingTable(boto3.resource("dynamodb").Table(table)))


def track_object(event: dict[str, Any], aws: Clients, config: BatchConfig) -> str:
    """Check and track the object of one "Object Created" event; what became of it:
    ``tracked``, ``quarantined``, ``duplicate`` or ``gone`` (deleted before it was read)."""
    detail = S3EventBridgeNotificationEvent(event).detail
    key = detail.object.key
    version = detail.object.get("version-id")
    version = version if version and version != "null" else None
    if key.startswith(QUARANTINE_PREFIX):
        return "ignored"
    metrics.add_metric(name=own.FILES_RECEIVED, unit=MetricUnit.Count, value=1)
    try:
        seen = inspect(aws.s3, config.input_bucket, key, version, config.files)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "NoSuchVersion", "404"):
            logger.warning("object gone before it was read", extra={"key": key})
            return "gone"
        raise
    file = TrackedFile(
        bucket=config.input_bucket,
        key=key,
        version_id=seen.version_id,
        etag=seen.etag,
        size=seen.size,
        created=datetime.fromisoformat(event["time"].replace("Z", "+00:00")),
    )
    problem = seen.problem
    now = clock.now()
    if problem:
        # the copy first: a retry after a failed copy must still make it (copying twice is
        # harmless; the tracking write is what recognises a repeated event)
        quarantine(
            aws.s3,
            bucket=config.input_bucket,
            key=key,
            version_id=file.version_id,
            size=seen.size,
            reason=problem,
            rejected_by=own.BUILDER_SERVICE,
        )
        if not aws.tracking.add(file, now, FileStatus.QUARANTINED, reason=problem):
            metrics.add_metric(name=own.DUPLICATE_EVENTS, unit=MetricUnit.Count, value=1)
            return "duplicate"
        logger.warning("file quarantined", extra={"key": key, "reason": problem})
        metrics.add_metric(name=own.FILES_QUARANTINED, unit=MetricUnit.Count, value=1)
        return "quarantined"
    if not aws.tracking.add(file, now, FileStatus.PENDING):
        metrics.add_metric(name=own.DUPLICATE_EVENTS, unit=MetricUnit.Count, value=1)
        return "duplicate"
    metrics.add_metric(name=own.FILES_TRACKED, unit=MetricUnit.Count, value=1)
    return "tracked"


def ship_ready(aws: Clients, config: BatchConfig, owner: str) -> int:
    """Ship the ready batches; the files shipped."""
    manifests = flush(
        aws.tracking,
        aws.s3,
        config.manifest_bucket,
        config.rules,
        owner=owner,
        clock=clock.now,
    )
    for manifest in manifests:
        logger.info(
            "manifest written",
            extra={"manifest": manifest.key, "files": len(manifest.files)},
        )
    shipped = sum(len(m.files) for m in manifests)
    metrics.add_metric(name=own.MANIFESTS_WRITTEN, unit=MetricUnit.Count, value=len(manifests))
    metrics.add_metric(name=own.FILES_MANIFESTED, unit=MetricUnit.Count, value=shipped)
    return shipped


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: track the batch's files, then ship what is ready."""
    config = BatchConfig.from_environ(os.environ)
    aws = clients(config.tracking_table)

    def record_handler(record: SQSRecord) -> str:
        return track_object(json.loads(record.body), aws, config)

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    ship_ready(aws, config, owner=context.aws_request_id)
    return dict(response)
