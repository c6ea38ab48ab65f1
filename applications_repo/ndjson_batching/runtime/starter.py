"""GlueNdjsonJobStarter: a manifest written to the manifest bucket (its "Object Created"
event, through EventBridge) starts one run of the batch job on it. EventBridge cannot start
a Glue job itself; this function is the one step between them.

The same event delivered twice starts no second run (Powertools idempotency, keyed on the
manifest's bucket, key and version). When Glue refuses the run (for example
ConcurrentRunsExceededException) the handler raises: Lambda retries the event and, when the
retries are spent, sends it to the dead-letter queue, from where ``gdp ndjson retry`` starts it.

The function ships this module, ``shared/outcomes.py``, the application's ``manifest`` and
Powertools.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from applications_repo.ndjson_batching.manifest import MANIFEST_PREFIX, MANIFEST_SUFFIX
from shared.outcomes import REJECTED, STARTED, HandlerOutcome

IDEMPOTENCY_KEY = '[detail.bucket.name, detail.object.key, detail.object."version-id"]'
AWS_CALLS = (
    ("glue:StartJobRun", "arn:{partition}:glue:{region}:{account}:job/{env.JOB_NAME}"),
    *(
        (
            f"dynamodb:{action}",
            "arn:{partition}:dynamodb:{region}:{account}:table/{env.IDEMPOTENCY_TABLE}",
        )
        for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")
    ),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
logger = Logger(service="glue-ndjson-starter")


def manifest_arguments(bucket: str, key: str, version_id: str | None) -> dict[str, str]:
    """The batch job's arguments naming one manifest (version)."""
    arguments = {"--manifest_bucket": bucket, "--manifest_key": key}
    if version_id:
        arguments["--manifest_version"] = version_id
    return arguments


def start_batch(event: dict[str, Any], glue: Any, job_name: str) -> dict[str, Any]:
    """Start the batch job on the event's manifest; the ``HandlerOutcome``."""
    detail = S3EventBridgeNotificationEvent(event).detail
    bucket, key = detail.bucket.name, detail.object.key
    version = detail.object.get("version-id")
    version = version if version and version != "null" else None
    uri = f"s3://{bucket}/{key}"
    if not (key.startswith(MANIFEST_PREFIX) and key.endswith(MANIFEST_SUFFIX)):
        reason = f"not a manifest: keys are {MANIFEST_PREFIX}<date>/<id>{MANIFEST_SUFFIX}"
        logger.warning("object ignored", extra={"object": uri, "reason": reason})
        return HandlerOutcome(REJECTED, object=uri, reason=reason).to_event()
    run = glue.start_job_run(JobName=job_name, Arguments=manifest_arguments(bucket, key, version))
    logger.info("batch job started", extra={"object": uri, "job_run_id": run["JobRunId"]})
    return HandlerOutcome(STARTED, object=uri, job_run_id=run["JobRunId"]).to_event()


@cache
def idempotent(table: str, seconds: int) -> tuple[IdempotencyConfig, Any]:
    settings = IdempotencyConfig(event_key_jmespath=IDEMPOTENCY_KEY, expires_after_seconds=seconds)
    process = idempotent_function(
        data_keyword_argument="event",
        persistence_store=DynamoDBPersistenceLayer(table_name=table),
        config=settings,
    )(start_batch)
    return settings, process


@cache
def glue_client() -> Any:
    return boto3.client("glue")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    settings, process = idempotent(
        os.environ["IDEMPOTENCY_TABLE"], int(os.environ["IDEMPOTENCY_SECONDS"])
    )
    settings.register_lambda_context(context)
    result: dict[str, Any] = process(
        event=event, glue=glue_client(), job_name=os.environ["JOB_NAME"]
    )
    return result
