"""GlueTriggerLambda: validates each object uploaded to the input bucket and starts a
FileProcessorV2 run on it.

Fired by the input bucket's "Object Created" events through an EventBridge rule. A rejected
object is logged with its reason and counted; it starts nothing. When Glue refuses a run (for
example ConcurrentRunsExceededException) the handler raises, so that Lambda retries the event
and, when the retries are spent, sends it to the dead-letter queue: no event is lost.

This module is the Lambda's whole code (Powertools is bundled beside it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

CSV_SUFFIX = ".csv"
METRICS_NAMESPACE = "GlueDataPlatform"
SERVICE = "glue-trigger"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


@dataclass(frozen=True)
class TriggerConfig:
    """What the function is told through its environment."""

    job_name: str
    output_bucket: str
    database: str
    min_object_bytes: int
    max_object_bytes: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TriggerConfig:
        return cls(
            job_name=environ["JOB_NAME"],
            output_bucket=environ["OUTPUT_BUCKET"],
            database=environ["DATABASE"],
            min_object_bytes=int(environ["MIN_OBJECT_BYTES"]),
            max_object_bytes=int(environ["MAX_OBJECT_BYTES"]),
        )


@dataclass(frozen=True)
class UploadedObject:
    """The object an event is about, its key decoded."""

    bucket: str
    key: str
    size: int
    version_id: str | None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> UploadedObject:
        """Read an EventBridge "Object Created" event. S3 URL-encodes keys in events
        (``a b+c.csv`` arrives as ``a+b%2Bc.csv``); Powertools' ``key`` decodes them."""
        detail = S3EventBridgeNotificationEvent(dict(event)).detail
        version = detail.object.get("version-id")
        return cls(
            bucket=detail.bucket.name,
            key=detail.object.key,
            size=int(detail.object.size or 0),
            version_id=version if version and version != "null" else None,
        )

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Rejection:
    """Why an object is not processed: a metric dimension and a sentence."""

    code: str
    message: str


def rejection(obj: UploadedObject, config: TriggerConfig) -> Rejection | None:
    """The reason ``obj`` must not be processed, or ``None`` when it may."""
    if obj.key.endswith("/"):
        return Rejection("folder", "a folder marker, not a file")
    suffix = PurePosixPath(obj.key).suffix
    if suffix.lower() != CSV_SUFFIX:
        shown = f"'{suffix}'" if suffix else "none"
        return Rejection("extension", f"not a CSV file: extension {shown}, expected '.csv'")
    if obj.size == 0:
        return Rejection("empty", "empty file (0 bytes)")
    if obj.size < config.min_object_bytes:
        return Rejection(
            "too_small", f"{obj.size} bytes is below the {config.min_object_bytes}-byte minimum"
        )
    if obj.size > config.max_object_bytes:
        return Rejection(
            "too_large", f"{obj.size} bytes is above the {config.max_object_bytes}-byte maximum"
        )
    return None


def job_arguments(obj: UploadedObject, config: TriggerConfig) -> dict[str, str]:
    """The FileProcessorV2 arguments naming the object and where its output goes."""
    arguments = {
        "--source_bucket": obj.bucket,
        "--source_key": obj.key,
        "--output_bucket": config.output_bucket,
        "--database": config.database,
    }
    if obj.version_id:
        arguments["--source_version"] = obj.version_id
    return arguments


def process_event(event: Mapping[str, Any], glue, config: TriggerConfig) -> dict[str, str]:
    """Validate the event's object and start its run; raise when Glue refuses the run."""
    obj = UploadedObject.from_event(event)
    logger.append_keys(object=obj.uri, version_id=obj.version_id, size=obj.size)
    metrics.add_metric(name="FilesReceived", unit=MetricUnit.Count, value=1)
    refused = rejection(obj, config)
    if refused:
        logger.warning("object rejected", extra={"reason": refused.message})
        with single_metric(
            name="FilesRejected",
            unit=MetricUnit.Count,
            value=1,
            namespace=METRICS_NAMESPACE,
            default_dimensions={"service": SERVICE},
        ) as metric:
            metric.add_dimension("Reason", refused.code)
        return {"status": "REJECTED", "object": obj.uri, "reason": refused.message}
    metrics.add_metric(name="FilesAccepted", unit=MetricUnit.Count, value=1)
    try:
        run = glue.start_job_run(JobName=config.job_name, Arguments=job_arguments(obj, config))
    except ClientError as error:
        code = error.response["Error"]["Code"]
        metrics.add_metric(name="RunsRefused", unit=MetricUnit.Count, value=1)
        logger.error("Glue refused the run; the event will be retried", extra={"error": code})
        raise
    metrics.add_metric(name="RunsStarted", unit=MetricUnit.Count, value=1)
    logger.info("run started", extra={"job_name": config.job_name, "job_run_id": run["JobRunId"]})
    return {"status": "STARTED", "object": obj.uri, "job_run_id": run["JobRunId"]}


@cache
def glue_client():
    """The Glue client, made once per execution environment."""
    return boto3.client("glue")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Lambda entry point."""
    return process_event(event, glue_client(), TriggerConfig.from_environ(os.environ))
