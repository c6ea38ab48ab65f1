"""GlueJobsApi: the REST API behind API Gateway (Powertools ``APIGatewayRestResolver``, its
requests and answers validated by the pydantic models of ``models``; the OpenAPI document
is generated from these routes).

- ``POST /upload``: a job, UPLOADING, and a pre-signed POST for its file (its size range
  and content type are conditions of the POST); S3's event makes it UPLOADED (``uploads``).
- ``POST /trigger-job``: UPLOADED -> PENDING, then the parquet-to-json conversion started
  (single-node or Glue by size); an ``Idempotency-Key`` makes a retry answer as the first
  request did; any other state is 409.
- ``GET /job-status/{jobId}``, ``GET /download/{jobId}`` (a short-lived pre-signed GET),
  ``GET /jobs?status=&limit=&next=`` (a page of an index, newest first; never a scan),
  ``POST /jobs/{jobId}/cancel``, ``POST /jobs/{jobId}/retry``.
- ``GET /openapi.json`` and ``GET /docs`` (Swagger UI, served from the function).

Every error is ``application/problem+json`` with a title and a readable detail.
"""

from __future__ import annotations

import json
import os
import uuid
from functools import cache
from pathlib import PurePosixPath
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from applications_repo.jobs_api import jobs as records
from applications_repo.jobs_api.jobs import BadCursorError, JobsTable, JobStatus
from applications_repo.jobs_api.models import (
    PARQUET_TYPE,
    PROBLEM,
    Download,
    Job,
    JobPage,
    PresignedPost,
    TriggerRequest,
    UploadRequest,
    UploadTicket,
    problem_body,
    responses,
)
from applications_repo.parquet_to_json.starting import (
    STARTED,
    WAITING,
    StartConfig,
    split_s3_uri,
    start,
    start_calls,
)

SERVICE = "jobs-api"
MAX_PAGE_SIZE = 100
"""The most jobs one page holds (a ``limit`` above is a 422)."""
TITLE = "jobs-api"
VERSION = "1.0.0"
DESCRIPTION = (
    "Upload Parquet files, convert them to JSON Lines, watch the jobs and download the JSON."
)
IDEMPOTENCY_ARN = "arn:{partition}:dynamodb:{region}:{account}:table/{env.IDEMPOTENCY_TABLE}"
AWS_CALLS = (
    *records.table_calls("{env.METADATA_TABLE}"),
    *(
        (f"dynamodb:{a}", IDEMPOTENCY_ARN)
        for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")
    ),
    ("s3:PutObject", "arn:{partition}:s3:::{env.INPUT_BUCKET}/uploads/*"),
    ("s3:GetObject", "arn:{partition}:s3:::{env.OUTPUT_BUCKET}/jobs/*"),
    *start_calls(),
)
"""The AWS calls this function makes (checked against its role by tests/deployability); a
pre-signed POST or GET is a call its role must allow when S3 receives it."""
ALLOWED_HEADERS = [
    "Content-Type",
    "Idempotency-Key",
    "X-Api-Key",
    "Authorization",
    "X-Amz-Date",
    "X-Amz-Security-Token",
]
logger = Logger(service=SERVICE)


def _cors() -> CORSConfig:
    origins = json.loads(os.environ.get("ALLOWED_ORIGINS") or "[]") or ["http://localhost:5173"]
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=["Location"],
        max_age=600,
    )


app = APIGatewayRestResolver(enable_validation=True, cors=_cors())
app.enable_swagger(path="/docs", title=TITLE, version=VERSION, description=DESCRIPTION)


class ProblemError(Exception):
    """An answer other than success: its status, title and detail."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


@cache
def _table() -> JobsTable:
    return JobsTable(boto3.resource("dynamodb").Table(os.environ["METADATA_TABLE"]))


@cache
def _clients() -> dict[str, Any]:
    return {
        "s3": boto3.client("s3", config=Config(signature_version="s3v4")),
        "glue": boto3.client("glue"),
        "lambda": boto3.client("lambda"),
    }


def _setting(name: str) -> int:
    return int(os.environ[name])


def _job(job_id: str) -> dict[str, Any]:
    item = _table().get(job_id)
    if item is None:
        raise ProblemError(404, "No such job", f"no job {job_id!r}")
    return item


def _conflict(job_id: str, wanted: str) -> ProblemError:
    item = _job(job_id)
    status = item["processing_status"]
    return ProblemError(
        409, "Job is not in a state for that", f"job {job_id} is {status}; {wanted}"
    )


@app.post(
    "/upload",
    summary="Create a job and get a pre-signed POST for its file",
    responses=responses(201, "The job, UPLOADING, and how to upload", UploadTicket, 413, 415),
)
def create_upload(request: UploadRequest) -> Response[UploadTicket]:
    limit = _setting("MAX_UPLOAD_BYTES")
    if request.size_bytes > limit:
        raise ProblemError(
            413,
            "File too large",
            f"{request.filename} is {request.size_bytes} bytes; the limit is {limit} bytes",
        )
    job_id = uuid.uuid4().hex
    bucket, output = os.environ["INPUT_BUCKET"], os.environ["OUTPUT_BUCKET"]
    key = records.upload_key(job_id, request.filename)
    stem = PurePosixPath(request.filename).stem
    _table().create_job(
        job_id,
        filename=request.filename,
        source=f"s3://{bucket}/{key}",
        output=f"s3://{output}/{records.OUTPUTS_PREFIX}{job_id}/{stem}.json",
        rejects=f"s3://{output}/{records.OUTPUTS_PREFIX}{job_id}/{stem}.rejected.json",
        by=SERVICE,
    )
    seconds = _setting("UPLOAD_URL_SECONDS")
    post = _clients()["s3"].generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": PARQUET_TYPE},
        Conditions=[{"Content-Type": PARQUET_TYPE}, ["content-length-range", 1, limit]],
        ExpiresIn=seconds,
    )
    ticket = UploadTicket(
        jobId=job_id,
        status=JobStatus.UPLOADING,
        upload=PresignedPost(url=post["url"], fields=post["fields"]),
        expiresInSeconds=seconds,
        maxBytes=limit,
    )
    return Response(201, "application/json", ticket, headers={"Location": f"/job-status/{job_id}"})


@app.post(
    "/trigger-job",
    summary="Start the conversion of an uploaded job",
    responses=responses(202, "The job, PENDING: its conversion started", Job, 404, 409, 415),
)
def trigger_job(
    request: TriggerRequest,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=128,
            description="A retry with the same key answers as the first request did.",
        ),
    ] = None,
) -> Response[Job]:
    if idempotency_key is None:
        return Response(202, "application/json", Job.of(_start(request.job_id)))
    try:
        item = _start_once(request={"key": idempotency_key, "jobId": request.job_id})
    except IdempotencyAlreadyInProgressError as error:
        raise ProblemError(
            409, "Request in progress", "a request with this Idempotency-Key is being handled"
        ) from error
    except IdempotencyValidationError as error:
        raise ProblemError(
            422,
            "Idempotency-Key reused",
            f"Idempotency-Key {idempotency_key!r} was used for another job",
        ) from error
    return Response(202, "application/json", Job.of(item))


def _start(job_id: str) -> dict[str, Any]:
    """UPLOADED -> PENDING, then the conversion started (or waiting, refused for now)."""
    table = _table()
    if not table.request_start(job_id, SERVICE):
        raise _conflict(job_id, "only an UPLOADED job can be started")
    return _started(job_id)


def _started(job_id: str) -> dict[str, Any]:
    table, aws = _table(), _clients()
    result = start(
        _job(job_id), table, aws["glue"], aws["lambda"], StartConfig.from_environ(os.environ)
    )
    if result.status not in (STARTED, WAITING):
        logger.info("already started", extra={"job": job_id})
    return _job(job_id)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])


def _start_once(request: dict[str, str]) -> dict[str, Any]:
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="jobId",
        expires_after_seconds=_setting("IDEMPOTENCY_SECONDS"),
    )
    config.register_lambda_context(app.lambda_context)
    once = idempotent_function(
        data_keyword_argument="request", persistence_store=_persistence(), config=config
    )(_start_request)
    return json.loads(json.dumps(once(request=request), default=str))


def _start_request(request: dict[str, str]) -> dict[str, Any]:
    from applications_repo.parquet_to_json.metadata import plain  # noqa: PLC0415

    return plain(_start(request["jobId"]))


@app.get(
    "/job-status/<jobId>", summary="A job's status", responses=responses(200, "The job", Job, 404)
)
def job_status(job_id: Annotated[str, Path(alias="jobId", max_length=64)]) -> Job:
    return Job.of(_job(job_id))


@app.get(
    "/download/<jobId>",
    summary="A short-lived pre-signed GET of a job's JSON",
    responses=responses(200, "Where to GET the JSON Lines", Download, 404, 409),
)
def download(job_id: Annotated[str, Path(alias="jobId", max_length=64)]) -> Download:
    item = _job(job_id)
    if item["processing_status"] != JobStatus.SUCCEEDED:
        raise _conflict(job_id, "only a SUCCEEDED job has JSON to download")
    bucket, key = split_s3_uri(item["output_file_path"])
    name = PurePosixPath(key).name
    seconds = _setting("DOWNLOAD_URL_SECONDS")
    url = _clients()["s3"].generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{name}"',
            "ResponseContentType": "application/x-ndjson",
        },
        ExpiresIn=seconds,
    )
    return Download(url=url, expiresInSeconds=seconds, filename=name)


@app.get(
    "/jobs",
    summary="A page of jobs, newest first, optionally of one status",
    responses=responses(200, "A page of jobs", JobPage, 400),
)
def list_jobs(
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status.")] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_PAGE_SIZE, description="Jobs per page.")
    ] = None,
    next_token: Annotated[
        str | None, Query(alias="next", max_length=2048, description="From a previous page.")
    ] = None,
) -> JobPage:
    try:
        page = _table().page(status, limit or _setting("PAGE_SIZE"), next_token)
    except BadCursorError as error:
        raise ProblemError(400, "Bad page token", f"next: {error}") from error
    return JobPage(jobs=[Job.of(item) for item in page.items], next=page.next)


@app.post(
    "/jobs/<jobId>/cancel",
    summary="Cancel a job that has not started converting",
    responses=responses(200, "The job, CANCELLED", Job, 404, 409),
)
def cancel_job(job_id: Annotated[str, Path(alias="jobId", max_length=64)]) -> Job:
    if not _table().cancel(job_id, SERVICE):
        raise _conflict(job_id, "only an UPLOADING, UPLOADED or PENDING job can be cancelled")
    return Job.of(_job(job_id))


@app.post(
    "/jobs/<jobId>/retry",
    summary="Convert a failed or cancelled job again",
    responses=responses(202, "The job, PENDING: its conversion started again", Job, 404, 409),
)
def retry_job(job_id: Annotated[str, Path(alias="jobId", max_length=64)]) -> Response[Job]:
    if not _table().retry_job(job_id, SERVICE):
        raise _conflict(job_id, "only a FAILED job, or a CANCELLED one uploaded, can be retried")
    return Response(202, "application/json", Job.of(_started(job_id)))


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(200, "application/json", openapi())


def openapi() -> str:
    """The API's OpenAPI document (committed as ``openapi.json``)."""
    return app.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION)


@app.exception_handler(ProblemError)
def _problem(error: ProblemError) -> Response[str]:
    return Response(error.status, PROBLEM, problem_body(error.status, error.title, error.detail))


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[str]:
    found = [
        {
            "where": ".".join(str(p) for p in e.get("loc", ())),
            "problem": e.get("msg", ""),
        }
        for e in error.errors()
    ]
    detail = "; ".join(f"{f['where']}: {f['problem']}" for f in found) or "invalid request"
    return Response(422, PROBLEM, problem_body(422, "Request is not valid", detail, found))


@app.not_found
def _not_found(error: NotFoundError) -> Response[str]:
    path = app.current_event.path
    return Response(404, PROBLEM, problem_body(404, "Not found", f"no route {path}"))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: a body that is not JSON is a 415 before any route reads it."""
    if event.get("body"):
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        kind = str(headers.get("content-type", "")).split(";")[0].strip().lower()
        if kind != "application/json":
            detail = f"the body must be application/json, not {kind or 'untyped'}"
            return {
                "statusCode": 415,
                "headers": {"Content-Type": PROBLEM},
                "body": problem_body(415, "Unsupported media type", detail),
                "isBase64Encoded": False,
            }
    return app.resolve(event, context)
