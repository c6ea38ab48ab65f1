"""GlueMedallionRunRecorder: what each execution cost, and whether today's run happened.

Actions (the event's ``action``):

- ``record`` (the state machine's last task of a run date): the Glue run's DPU-hours (its
  ``DPUSeconds`` when Glue auto scaled, else its execution time by its workers' DPUs) and
  their cost at ``DPU_HOUR_USD``, published as ``PipelineDpuHours`` and ``PipelineCostUsd``
  beside the date's records; returns them for the success notification.
- ``check_freshness`` (scheduled at ``success_by_hour``): publishes ``PipelineRunMissing``
  (1 when no execution of the state machine succeeded today, UTC), which an alarm watches.

The function ships this module, ``shared/clock.py`` and Powertools.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import clock
from shared import metrics as names

SERVICE = "medallion-recorder"
DPU_PER_WORKER = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}
DPU_HOURS, COST, RUN_MISSING = "PipelineDpuHours", "PipelineCostUsd", "PipelineRunMissing"
RECORDS = "PipelineRecords"
AWS_CALLS = (
    (
        "states:ListExecutions",
        "arn:{partition}:states:{region}:{account}:stateMachine:{env.STATE_MACHINE_NAME}",
    ),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=SERVICE)


class BadEventError(ValueError):
    """The event asks for something the recorder does not do."""


def dpu_hours(run: Mapping[str, Any]) -> float:
    """A Glue run's DPU-hours, from what ``GetJobRun`` (the ``.sync`` task's output) says."""
    if seconds := run.get("DPUSeconds"):
        return float(seconds) / 3600
    workers = float(run.get("NumberOfWorkers") or run.get("MaxCapacity") or 0)
    per_worker = DPU_PER_WORKER.get(str(run.get("WorkerType")), 1.0)
    return float(run.get("ExecutionTime") or 0) * workers * per_worker / 3600


def record(event: Mapping[str, Any], price: float) -> dict[str, Any]:
    """The cost of one run date's Glue run."""
    run = event.get("glue") or {}
    hours = dpu_hours(run)
    cost = round(hours * price, 4)
    records = int((event.get("ingestion") or {}).get("records") or 0)
    metrics.add_metric(name=DPU_HOURS, unit=MetricUnit.Count, value=hours)
    metrics.add_metric(name=COST, unit=MetricUnit.Count, value=cost)
    metrics.add_metric(name=RECORDS, unit=MetricUnit.Count, value=records)
    return {"dpu_hours": round(hours, 4), "cost_usd": cost, "job_run_id": run.get("Id", "")}


def check_freshness(sfn: Any, state_machine_arn: str, now: datetime) -> dict[str, Any]:
    """Whether an execution succeeded today (UTC)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    latest = None
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="SUCCEEDED"
    )
    for page in pages:
        for execution in page["executions"]:
            stopped = execution.get("stopDate")
            if stopped and (latest is None or stopped > latest):
                latest = stopped
    missing = latest is None or latest < midnight
    metrics.add_metric(name=RUN_MISSING, unit=MetricUnit.Count, value=1 if missing else 0)
    if missing:
        logger.warning("no successful execution today", extra={"last_success": str(latest)})
    return {"missing": missing, "last_success": latest.isoformat() if latest else None}


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """``record`` or ``check_freshness`` (module docstring)."""
    action = event.get("action")
    if action == "record":
        return record(event, float(os.environ["DPU_HOUR_USD"]))
    if action == "check_freshness":
        arn = os.environ["STATE_MACHINE_ARN"]
        now = datetime.fromtimestamp(clock.now(), UTC)
        return check_freshness(boto3.client("stepfunctions"), arn, now)
    raise BadEventError(f"action {action!r}: expected record or check_freshness")
