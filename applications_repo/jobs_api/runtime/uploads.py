"""GlueJobsApiUploads: S3's "Object Created" events of the input bucket's ``uploads/`` confirm
the jobs' files.

The object's job (``uploads/<job>/<file>``) becomes UPLOADED, with the object's size and
version, only from UPLOADING: a repeated event, an object of a cancelled job, or one under
no job changes nothing (the result says why). The file is checked as parquet-to-json checks
an upload (its size within the limit, Parquet's magic bytes at both ends, a footer that
fits); a file that fails is REJECTED with the reason, and stays where it was uploaded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from applications_repo.jobs_api import jobs as records
from applications_repo.jobs_api.jobs import JobsTable, JobStatus
from applications_repo.parquet_to_json.uploads import Limits, parquet_problem

SERVICE = "jobs-api-uploads"
TABLE = "arn:{partition}:dynamodb:{region}:{account}:table/{env.METADATA_TABLE}"
AWS_CALLS = (
    ("dynamodb:GetItem", TABLE),
    ("dynamodb:UpdateItem", TABLE),
    ("s3:GetObject", "arn:{partition}:s3:::{env.INPUT_BUCKET}/uploads/*"),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{env.INPUT_BUCKET}/uploads/*"),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
CONFIRMED, IGNORED = "CONFIRMED", "IGNORED"
logger = Logger(service=SERVICE)


@dataclass(frozen=True)
class Clients:
    s3: Any
    table: JobsTable


def handle(event: Mapping[str, Any], aws: Clients, max_bytes: int, by: str) -> dict[str, Any]:
    """Confirm (or reject) the upload the event reports."""
    detail = S3EventBridgeNotificationEvent(dict(event)).detail
    bucket, key = detail.bucket.name, detail.object.key
    version = detail.object.get("version-id")
    version = version if version and version != "null" else None
    size = int(detail.object.size or 0)
    job_id = records.job_of_key(key)
    logger.append_keys(object=f"s3://{bucket}/{key}", job=job_id)
    if job_id is None:
        logger.warning("not a job's upload (uploads/<job>/<file>): left as it is")
        return {"status": IGNORED, "object": key, "reason": "not a job's upload"}
    problem = parquet_problem(size, _reader(aws.s3, bucket, key, version), Limits(1, max_bytes))
    if aws.table.confirm_upload(
        job_id, size=size, version=version, by=by, problem=f"{key} {problem}" if problem else None
    ):
        status = JobStatus.REJECTED if problem else JobStatus.UPLOADED
        logger.info("upload confirmed", extra={"status": status.value, "problem": problem})
        return {"status": CONFIRMED, "job": job_id, "job_status": status.value}
    item = aws.table.get(job_id)
    reason = f"job is {item['processing_status']}" if item else "no such job"
    logger.info("nothing to confirm", extra={"reason": reason})
    return {"status": IGNORED, "job": job_id, "reason": reason}


def _reader(s3: Any, bucket: str, key: str, version: str | None) -> Any:
    extra = {"VersionId": version} if version else {}

    def read(start: int, length: int) -> bytes:
        end = start + length - 1
        body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end}", **extra)
        return body["Body"].read()

    return read


@cache
def clients() -> Clients:
    return Clients(
        s3=boto3.client("s3"),
        table=JobsTable(boto3.resource("dynamodb").Table(os.environ["METADATA_TABLE"])),
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, clients(), int(os.environ["MAX_UPLOAD_BYTES"]), context.function_name)
