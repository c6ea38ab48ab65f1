"""GlueTriggerLambda: validates each object uploaded to the input bucket and starts a
FileProcessorV2 run on it: on the single-node function (Arrow, billed per millisecond) for a
file up to ``glue.single_node_max_bytes``, on Glue (Spark) for a larger one.

Fired by the input bucket's "Object Created" events through an EventBridge rule. A rejected
object is logged with its reason, counted, and copied to the quarantine with its reason; it
starts nothing. When Glue or Lambda refuses a run (for example
ConcurrentRunsExceededException) the handler raises, so that Lambda retries the event and,
when the retries are spent, sends it to the dead-letter queue: no event is lost.

The function ships this module, its metric names, ``shared/quarantine.py``,
``shared/outcomes.py`` and Powertools.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from applications_repo.file_processor import metrics as own
from applications_repo.file_processor.engine_choice import EngineChoice
from applications_repo.file_processor.uploads import (
    TriggerConfig,
    UploadedObject,
    job_arguments,
    rejection,
)
from shared import metrics as names
from shared.outcomes import REJECTED, STARTED, HandlerOutcome
from shared.quarantine import quarantine, quarantine_calls

FUNCTION_RUN_PREFIX = "fr_"
"""Run ids of single-node runs (Glue's are ``jr_...``)."""
# One object event: the same upload delivered twice has the same key, version and sequencer.
IDEMPOTENCY_KEY = (
    '[detail.bucket.name, detail.object.key, detail.object."version-id", detail.object.sequencer]'
)
AWS_CALLS = (
    ("glue:StartJobRun", "arn:{partition}:glue:{region}:{account}:job/{env.JOB_NAME}"),
    ("glue:GetJobRuns", "arn:{partition}:glue:{region}:{account}:job/{env.JOB_NAME}"),
    (
        "lambda:InvokeFunction",
        "arn:{partition}:lambda:{region}:{account}:function:{env.SINGLE_NODE_FUNCTION}",
    ),
    *quarantine_calls("{stage.input_bucket}"),
    *(
        (
            f"dynamodb:{action}",
            "arn:{partition}:dynamodb:{region}:{account}:table/{env.IDEMPOTENCY_TABLE}",
        )
        for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")
    ),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
logger = Logger(service=own.TRIGGER_SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=own.TRIGGER_SERVICE)


def process_event(
    event: Mapping[str, Any], aws: Clients, config: TriggerConfig, function_name: str
) -> dict[str, str]:
    """Validate the event's object and start its run, or quarantine it; raise when Glue
    refuses the run."""
    obj = UploadedObject.from_event(event)
    logger.append_keys(object=obj.uri, version_id=obj.version_id, size=obj.size)
    metrics.add_metric(name=own.FILES_RECEIVED, unit=MetricUnit.Count, value=1)
    refused = rejection(obj, config)
    if refused:
        logger.warning("object rejected", extra={"reason": refused.message})
        metrics.add_metric(name=own.FILES_REJECTED, unit=MetricUnit.Count, value=1)
        with single_metric(
            name=own.FILES_REJECTED_BY_REASON,
            unit=MetricUnit.Count,
            value=1,
            namespace=names.NAMESPACE,
            default_dimensions={names.SERVICE_DIMENSION: own.TRIGGER_SERVICE},
        ) as metric:
            metric.add_dimension(own.REASON_DIMENSION, refused.code)
        kept = quarantine(
            aws.s3,
            bucket=obj.bucket,
            key=obj.key,
            version_id=obj.version_id,
            size=obj.size,
            reason=refused.message,
            rejected_by=function_name,
        )
        return HandlerOutcome(
            status=REJECTED, object=obj.uri, reason=refused.message, quarantine=kept
        ).to_event()
    metrics.add_metric(name=own.FILES_ACCEPTED, unit=MetricUnit.Count, value=1)
    try:
        started = start_run(obj, aws, config)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        metrics.add_metric(name=own.RUNS_REFUSED, unit=MetricUnit.Count, value=1)
        logger.error("the run was refused; the event will be retried", extra={"error": code})
        raise
    metrics.add_metric(name=own.RUNS_STARTED, unit=MetricUnit.Count, value=1)
    logger.info("run started", extra={"runs_on": started.runs_on, "job_run_id": started.run_id})
    return HandlerOutcome(status=STARTED, object=obj.uri, job_run_id=started.run_id).to_event()


@dataclass(frozen=True)
class StartedRun:
    """A run started: its id, and the Glue job or function it runs on."""

    run_id: str
    runs_on: str


def start_run(obj: UploadedObject, aws: Clients, config: TriggerConfig) -> StartedRun:
    """Start FileProcessorV2 on ``obj``: an asynchronous invocation of the single-node
    function (a run id of its own, ``fr_...``) or a Glue run, by the engine its size takes.

    Raises:
        ClientError: Glue or Lambda refused the run.
    """
    arguments = job_arguments(obj, config)
    if arguments["--engine"] == EngineChoice.ARROW.value:
        run_id = f"{FUNCTION_RUN_PREFIX}{uuid.uuid4().hex}"
        aws.lambda_.invoke(
            FunctionName=config.single_node_function,
            InvocationType="Event",
            Payload=json.dumps({"JobRunId": run_id, "Arguments": arguments}).encode(),
        )
        return StartedRun(run_id, config.single_node_function)
    run = aws.glue.start_job_run(JobName=config.job_name, Arguments=arguments)
    return StartedRun(run["JobRunId"], config.job_name)


@dataclass(frozen=True)
class Clients:
    """The AWS clients the function uses."""

    glue: Any
    s3: Any
    lambda_: Any


@cache
def clients() -> Clients:
    """The clients, made once per execution environment."""
    return Clients(glue=boto3.client("glue"), s3=boto3.client("s3"), lambda_=boto3.client("lambda"))


def _recognised_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    """A repeated event: the first delivery's outcome is returned, marked as a duplicate."""
    logger.info("duplicate event: returning the first delivery's outcome")
    metrics.add_metric(name=own.DUPLICATE_EVENTS, unit=MetricUnit.Count, value=1)
    return {**response, "duplicate": True}


@cache
def idempotent(config: TriggerConfig) -> tuple[IdempotencyConfig, Callable[..., dict[str, str]]]:
    """``process_event`` made idempotent per object event (bucket, key, version, sequencer):
    S3 and EventBridge deliver at least once, a second delivery returns the first outcome."""
    settings = IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY,
        expires_after_seconds=config.idempotency_seconds,
        response_hook=_recognised_duplicate,
    )
    store = DynamoDBPersistenceLayer(table_name=config.idempotency_table)
    process = idempotent_function(
        data_keyword_argument="event", persistence_store=store, config=settings
    )(process_event)
    return settings, process


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Lambda entry point."""
    config = TriggerConfig.from_environ(os.environ)
    settings, process = idempotent(config)
    settings.register_lambda_context(context)
    return process(event=event, aws=clients(), config=config, function_name=context.function_name)
