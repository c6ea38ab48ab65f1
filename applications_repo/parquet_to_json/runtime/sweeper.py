"""GlueParquetToJsonSweeper: the scheduled sweep and the operators' tool (``gdp p2j``).

Actions (the event's ``action``):

- ``sweep`` (every ``sweep_minutes``): starts the PENDING items that wait (Glue or Lambda
  refused their first start), and fails, with the reason, the items with no progress for
  ``stuck_after_minutes`` whose run is gone: a Glue run that ended (FAILED, TIMEOUT, ERROR,
  STOPPED, or SUCCEEDED without recording it), a single-node run (Lambda gives up after 15
  minutes and its retries), or a start that never happened. A Glue run still running or
  waiting is left alone. Each change is conditional on the item being unchanged since it was
  read, so the sweeper cannot overwrite a run that moved on. It publishes the number of items
  it failed (the stuck-runs alarm).
- ``status``: counts by status; with ``status``, the items (at most ``limit``), newest first.
- ``retry``: FAILED or REJECTED items (``file_ids``) back to PENDING, and started again.

The function ships this module, the application's ``metadata``, ``starting`` and
``metrics``, ``shared/clock.py`` and Powertools.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from applications_repo.parquet_to_json import metrics as own
from applications_repo.parquet_to_json.metadata import (
    FILE_ID,
    MetadataTable,
    Status,
    plain,
    table_calls,
    timestamp,
)
from applications_repo.parquet_to_json.starting import (
    FUNCTION_RUN_PREFIX,
    STARTED,
    StartConfig,
    start,
    start_calls,
)
from shared import clock
from shared import metrics as names

ACTIONS = ("sweep", "status", "retry")
ALIVE = frozenset({"STARTING", "RUNNING", "WAITING", "STOPPING"})
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
AWS_CALLS = (
    *table_calls("{env.METADATA_TABLE}"),
    *start_calls(),
    ("glue:GetJobRun", "arn:{partition}:glue:{region}:{account}:job/{env.JOB_NAME}"),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
SERVICE = os.environ.get("METRICS_SERVICE") or own.SWEEPER_SERVICE
"""The service dimension of its metrics: parquet-to-json's sweeper, or the application that
deploys this sweeper over its own table (``METRICS_SERVICE``)."""
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=SERVICE)


class BadRequestError(ValueError):
    """The event asks for something the sweeper does not do."""


@dataclass(frozen=True)
class SweeperConfig:
    """What the function is told through its environment."""

    start: StartConfig
    stuck_after_minutes: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SweeperConfig:
        return cls(
            start=StartConfig.from_environ(environ),
            stuck_after_minutes=int(environ["STUCK_AFTER_MINUTES"]),
        )


@dataclass(frozen=True)
class Clients:
    glue: Any
    lambda_: Any
    table: MetadataTable


def sweep(aws: Clients, config: SweeperConfig, by: str) -> dict[str, Any]:
    """Start what waits, fail what is stuck."""
    stuck_before = timestamp(clock.now() - 60 * config.stuck_after_minutes)
    started: list[str] = []
    waiting: list[str] = []
    failed: list[str] = []
    alive: list[str] = []
    for item in list(aws.table.by_status(Status.PENDING)):
        if "start_token" not in item:
            result = start(item, aws.table, aws.glue, aws.lambda_, config.start)
            (started if result.status == STARTED else waiting).append(item[FILE_ID])
    for status in (Status.PENDING, Status.RUNNING):
        for item in list(aws.table.by_status(status)):
            if item["updated_at"] >= stuck_before or "start_token" not in item:
                continue
            reason = gone(item, aws.glue, config)
            if reason is None:
                alive.append(item[FILE_ID])
            elif aws.table.give_up(item, reason, by):
                logger.warning(
                    "stuck run failed", extra={"file_id": item[FILE_ID], "reason": reason}
                )
                failed.append(item[FILE_ID])
    metrics.add_metric(name=own.WAITING_STARTED, unit=MetricUnit.Count, value=len(started))
    metrics.add_metric(name=own.STUCK_RUNS, unit=MetricUnit.Count, value=len(failed))
    return {"started": started, "waiting": waiting, "failed": failed, "still_running": alive}


def gone(item: Mapping[str, Any], glue: Any, config: SweeperConfig) -> str | None:
    """Why the item's run will not finish it, or None while its Glue run is alive."""
    quiet = f"no progress for over {config.stuck_after_minutes} minutes"
    run_id = str(item.get("job_run_id", ""))
    if not run_id:
        return f"{quiet}: its run never started (claimed at {item.get('start_requested_at')})"
    if run_id.startswith(FUNCTION_RUN_PREFIX):
        return (
            f"{quiet}: single-node run {run_id} ended without recording its result (see "
            f"{config.start.single_node_function}'s log and dead-letter queue)"
        )
    run = glue.get_job_run(JobName=config.start.job_name, RunId=run_id)["JobRun"]
    state = run.get("JobRunState", "")
    if state in ALIVE:
        return None
    if state == "SUCCEEDED":
        return f"{quiet}: Glue run {run_id} SUCCEEDED without recording its result"
    message = run.get("ErrorMessage") or "no error message"
    return f"{quiet}: Glue run {run_id} is {state} ({message})"


def status(table: MetadataTable, event: Mapping[str, Any]) -> dict[str, Any]:
    """Counts by status, or the items of one status (oldest first)."""
    if event.get("status"):
        wanted = Status(event["status"])
        limit = min(int(event.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        items = [plain(item) for item in islice(table.by_status(wanted), limit)]
        return {"status": wanted.value, "items": items}
    return {s.value: table.count(s) for s in Status}


def retry(aws: Clients, config: SweeperConfig, file_ids: list[str], by: str) -> dict[str, Any]:
    """Each FAILED or REJECTED item back to PENDING and started again."""
    outcome: dict[str, str] = {}
    for item_id in file_ids:
        if not aws.table.retry(item_id, by):
            current = aws.table.get(item_id)
            outcome[item_id] = (
                f"not retried: it is {current['processing_status']}" if current else "no such file"
            )
            continue
        item = aws.table.get(item_id) or {}
        result = start(item, aws.table, aws.glue, aws.lambda_, config.start)
        outcome[item_id] = f"{result.status} {result.run_id or result.reason}".strip()
    return outcome


def handle(event: Mapping[str, Any], aws: Clients, config: SweeperConfig, by: str) -> Any:
    action = event.get("action")
    if action == "sweep":
        return sweep(aws, config, by)
    if action == "status":
        return status(aws.table, event)
    if action == "retry":
        return retry(aws, config, list(event.get("file_ids", [])), by)
    raise BadRequestError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")


@cache
def clients(table_name: str) -> Clients:
    return Clients(
        glue=boto3.client("glue"),
        lambda_=boto3.client("lambda"),
        table=MetadataTable(boto3.resource("dynamodb").Table(table_name)),
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    """Lambda entry point."""
    config = SweeperConfig.from_environ(os.environ)
    return handle(event, clients(config.start.metadata_table), config, context.function_name)
