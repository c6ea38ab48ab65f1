"""GlueMedallionIngestion: one run date of the orders API into bronze.

Invoked by the state machine with ``{"run_date": "YYYY-MM-DD", "execution": NAME}``. It reads
the API's URL and key from its Secrets Manager secret, claims the date in the checkpoints
table, and writes each page as fetched to ``raw/YYYY/MM/DD/page-NNNNN.json``, recording the
cursor of the next page after each. A failed attempt of the same execution resumes at that
cursor (the state machine retries it); a new execution of the date starts over and replaces
the date's pages, so a re-run never duplicates. The date is complete when
``raw/YYYY/MM/DD/_manifest.json`` lists its pages (pages of an earlier, longer run are
deleted first). Before its time runs out it stops, checkpointed, and fails so that the retry
goes on from there.

Returns ``{"run_date", "pages", "records", "bytes", "manifest", "has_data", "resumed",
"retried_requests"}`` to the state machine.

The function ships this module, the application's ``api_client``, ``checkpoints``,
``contract`` and ``layers``, ``shared/clock.py`` and Powertools.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

from applications_repo.medallion.api_client import ApiClient
from applications_repo.medallion.checkpoints import Checkpoint, Checkpoints, table_calls
from applications_repo.medallion.layers import RAW_PREFIX, day_folder, manifest_key, page_key
from shared import clock
from shared import metrics as names

SERVICE = "medallion-ingestion"
SECRET_MAX_AGE_SECONDS = 300
SAFETY_MARGIN_MS = 20_000
"""Stop when less than this (plus one request's timeout) is left of the function's time."""
AWS_CALLS = (
    (
        "secretsmanager:GetSecretValue",
        "arn:{partition}:secretsmanager:{region}:{account}:secret:{env.API_SECRET_NAME}-??????",
    ),
    *table_calls("{env.CHECKPOINTS_TABLE}"),
    ("s3:PutObject", "arn:{partition}:s3:::{env.BRONZE_BUCKET}/raw/*"),
    ("s3:DeleteObject", "arn:{partition}:s3:::{env.BRONZE_BUCKET}/raw/*"),
    ("s3:ListBucket", "arn:{partition}:s3:::{env.BRONZE_BUCKET}"),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=SERVICE)


class BadEventError(ValueError):
    """The state machine's input is not a run date."""


class IngestionIncompleteError(RuntimeError):
    """The function's time ran out; the checkpoint holds where the retry resumes."""


@dataclass(frozen=True)
class IngestionConfig:
    """What the function is told through its environment."""

    bucket: str
    table: str
    secret: str
    page_size: int
    attempts: int
    timeout_seconds: int
    max_retry_after_seconds: int
    stale_after_seconds: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> IngestionConfig:
        return cls(
            bucket=environ["BRONZE_BUCKET"],
            table=environ["CHECKPOINTS_TABLE"],
            secret=environ["API_SECRET_NAME"],
            page_size=int(environ["API_PAGE_SIZE"]),
            attempts=int(environ["API_REQUEST_ATTEMPTS"]),
            timeout_seconds=int(environ["API_TIMEOUT_SECONDS"]),
            max_retry_after_seconds=int(environ["MAX_RETRY_AFTER_SECONDS"]),
            stale_after_seconds=int(environ["STALE_AFTER_SECONDS"]),
        )


def run_date_of(event: Mapping[str, Any]) -> str:
    """The event's run date, checked."""
    value = event.get("run_date")
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise BadEventError(f"run_date {value!r} is not a date (YYYY-MM-DD)") from None


def connection(secret: str) -> tuple[str, str]:
    """The API's URL and key, from the secret (``{"url": ..., "api_key": ...}``)."""
    value = parameters.get_secret(secret, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, Mapping) or not value.get("url") or not value.get("api_key"):
        raise BadEventError(
            f"secret {secret} must hold JSON with 'url' and 'api_key' (see docs/medallion.md)"
        )
    return str(value["url"]), str(value["api_key"])


def ingest(
    run_date: str,
    execution: str,
    *,
    s3: Any,
    checkpoints: Checkpoints,
    client: ApiClient,
    config: IngestionConfig,
    remaining_ms: Any = lambda: 10**9,
) -> dict[str, Any]:
    """Fetch the date's pages into bronze from its checkpoint on; what was written."""
    now = _now()
    stale = _iso(clock.now() - config.stale_after_seconds)
    checkpoint = checkpoints.claim(run_date, execution, now, stale)
    if checkpoint.resumed:
        logger.info("resuming", extra={"pages": checkpoint.pages, "cursor": checkpoint.cursor})
    while True:
        if remaining_ms() < SAFETY_MARGIN_MS + 1000 * config.timeout_seconds:
            raise IngestionIncompleteError(
                f"run date {run_date}: stopped after page {checkpoint.pages} to resume in "
                "the next attempt (the function's time is running out)"
            )
        page = client.page(run_date, checkpoint.cursor)
        number = checkpoint.pages + 1
        s3.put_object(
            Bucket=config.bucket,
            Key=page_key(run_date, number),
            Body=page.body,
            ContentType="application/json",
        )
        checkpoint = replace(
            checkpoint,
            cursor=page.next_cursor,
            pages=number,
            records=checkpoint.records + len(page.records),
            bytes=checkpoint.bytes + len(page.body),
        )
        checkpoints.advance(checkpoint, _now())
        if page.next_cursor is None:
            break
    manifest = _finish(s3, checkpoints, checkpoint, config.bucket)
    metrics.add_metric(name="PagesFetched", unit=MetricUnit.Count, value=checkpoint.pages)
    metrics.add_metric(name="RecordsIngested", unit=MetricUnit.Count, value=checkpoint.records)
    metrics.add_metric(name="ApiRequestsRetried", unit=MetricUnit.Count, value=client.retried)
    return {
        "run_date": run_date,
        "pages": checkpoint.pages,
        "records": checkpoint.records,
        "bytes": checkpoint.bytes,
        "manifest": f"s3://{config.bucket}/{manifest}",
        "has_data": checkpoint.records > 0,
        "resumed": checkpoint.resumed,
        "retried_requests": client.retried,
    }


def _finish(s3: Any, checkpoints: Checkpoints, checkpoint: Checkpoint, bucket: str) -> str:
    """Delete pages past the last (an earlier run of the date had more), then write the
    manifest that makes the date complete."""
    run_date = checkpoint.run_date
    pages = [page_key(run_date, n) for n in range(1, checkpoint.pages + 1)]
    prefix = f"{RAW_PREFIX}{day_folder(run_date)}"
    manifest = manifest_key(run_date)
    listed = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    stale = [
        o["Key"]
        for page in listed
        for o in page.get("Contents", [])
        if o["Key"] not in pages and o["Key"] != manifest
    ]
    for key in stale:
        s3.delete_object(Bucket=bucket, Key=key)
    body = {
        "run_date": run_date,
        "execution": checkpoint.execution,
        "pages": pages,
        "records": checkpoint.records,
        "bytes": checkpoint.bytes,
        "completed_at": _now(),
    }
    s3.put_object(
        Bucket=bucket,
        Key=manifest,
        Body=json.dumps(body, indent=2).encode(),
        ContentType="application/json",
    )
    checkpoints.finish(checkpoint, manifest, _now())
    return manifest


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _now() -> str:
    return _iso(clock.now())


@cache
def _aws() -> tuple[Any, Checkpoints]:
    config = IngestionConfig.from_environ(os.environ)
    table = boto3.resource("dynamodb").Table(config.table)
    return boto3.client("s3"), Checkpoints(table)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The state machine's ingestion task."""
    config = IngestionConfig.from_environ(os.environ)
    run_date = run_date_of(event)
    execution = str(event.get("execution") or context.aws_request_id)
    logger.append_keys(run_date=run_date, execution=execution)
    url, key = connection(config.secret)
    client = ApiClient(
        url,
        key,
        page_size=config.page_size,
        attempts=config.attempts,
        timeout_seconds=config.timeout_seconds,
        max_retry_after_seconds=config.max_retry_after_seconds,
    )
    s3, checkpoints = _aws()
    result = ingest(
        run_date,
        execution,
        s3=s3,
        checkpoints=checkpoints,
        client=client,
        config=config,
        remaining_ms=context.get_remaining_time_in_millis,
    )
    logger.info("ingested", extra=result)
    return result
