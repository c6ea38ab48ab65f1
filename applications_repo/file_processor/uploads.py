"""What the trigger decides about an uploaded object, without AWS: the settings it is
given, the object an event names, whether the object may be processed, and the job
arguments for it. ``gdp process`` and ``gdp reprocess`` apply the same rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent

from applications_repo.file_processor.engine_choice import EngineChoice, choose

CSV_SUFFIX = ".csv"


@dataclass(frozen=True)
class TriggerConfig:
    """What the function is told through its environment."""

    job_name: str
    output_bucket: str
    database: str
    min_object_bytes: int
    max_object_bytes: int
    single_node_max_bytes: int
    single_node_function: str
    idempotency_table: str = ""
    idempotency_seconds: int = 0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TriggerConfig:
        return cls(
            job_name=environ["JOB_NAME"],
            output_bucket=environ["OUTPUT_BUCKET"],
            database=environ["DATABASE"],
            min_object_bytes=int(environ["MIN_OBJECT_BYTES"]),
            max_object_bytes=int(environ["MAX_OBJECT_BYTES"]),
            idempotency_table=environ["IDEMPOTENCY_TABLE"],
            idempotency_seconds=int(environ["IDEMPOTENCY_SECONDS"]),
            single_node_max_bytes=int(environ["SINGLE_NODE_MAX_BYTES"]),
            single_node_function=environ["SINGLE_NODE_FUNCTION"],
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
    """The FileProcessorV2 arguments naming the object, where its output goes, and the
    engine for its size (Arrow on one machine up to the threshold, Spark beyond)."""
    arguments = {
        "--source_bucket": obj.bucket,
        "--source_key": obj.key,
        "--output_bucket": config.output_bucket,
        "--database": config.database,
        "--engine": choose(EngineChoice.AUTO, obj.size, config.single_node_max_bytes).value,
    }
    if obj.version_id:
        arguments["--source_version"] = obj.version_id
    return arguments
