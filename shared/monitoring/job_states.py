"""GlueRunMonitor: what every finished Glue run of the stage means for the operators.

Fired by "Glue Job State Change" events. For each finished run it publishes the run metrics
(succeeded or failed, duration, and the duration against the recent average), and for a run
that ends FAILED, TIMEOUT or ERROR it sends an alert naming the job, the run, the source object
and the error to the stage's alerts topic.

The recent average is the mean execution time of the job's last ``AVERAGE_RUNS`` successful
runs before this one, read from Glue's run history (GetJobRuns); with fewer than
``MIN_BASELINE_RUNS`` of them there is no average yet and no ratio is published.

The function ships this module, ``shared/metrics.py`` and Powertools.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import metrics as names

FAILURE_STATES = frozenset({"FAILED", "TIMEOUT", "ERROR"})
FINISHED_STATES = frozenset({"SUCCEEDED", "STOPPED", *FAILURE_STATES})
MIN_BASELINE_RUNS = 3
SUBJECT_LIMIT = 100
SERVICE = "glue-run-monitor"
AWS_CALLS = (
    ("glue:GetJobRuns", "arn:{partition}:glue:{region}:{account}:job/*-{env.STAGE}"),
    ("sns:Publish", "{env.ALERTS_TOPIC_ARN}"),
)
"""The AWS calls this function makes (checked against its role by tests/deployability)."""

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=names.NAMESPACE, service=SERVICE)


@dataclass(frozen=True)
class MonitorConfig:
    """What the function is told through its environment."""

    stage: str
    alerts_topic_arn: str
    average_runs: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> MonitorConfig:
        return cls(
            stage=environ["STAGE"],
            alerts_topic_arn=environ["ALERTS_TOPIC_ARN"],
            average_runs=int(environ["AVERAGE_RUNS"]),
        )


@dataclass(frozen=True)
class Clients:
    glue: Any
    sns: Any


@dataclass(frozen=True)
class FinishedRun:
    """A finished run, as Glue describes it."""

    job_name: str
    run_id: str
    state: str
    seconds: int
    error: str | None
    arguments: Mapping[str, str]

    @property
    def source(self) -> str:
        """What the run processed: the source object, or the input location."""
        bucket, key = self.arguments.get("--source_bucket"), self.arguments.get("--source_key")
        if bucket and key:
            version = self.arguments.get("--source_version")
            return f"s3://{bucket}/{key}" + (f" (version {version})" if version else "")
        return self.arguments.get("--input_uri", "(default input)")


def describe_run(glue, job_name: str, run_id: str, state: str, message: str | None) -> FinishedRun:
    """The run's facts from GetJobRun (the event carries no arguments)."""
    run = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
    return FinishedRun(
        job_name=job_name,
        run_id=run_id,
        state=state,
        seconds=int(run.get("ExecutionTime") or 0),
        error=run.get("ErrorMessage") or message,
        arguments=run.get("Arguments", {}),
    )


def recent_average(glue, job_name: str, run_id: str, runs: int) -> float | None:
    """Mean execution time of the last ``runs`` successful runs before ``run_id``."""
    history = glue.get_job_runs(JobName=job_name, MaxResults=min(200, runs * 5))["JobRuns"]
    earlier = sorted(
        (r for r in history if r["Id"] != run_id and r["JobRunState"] == "SUCCEEDED"),
        key=lambda r: r["StartedOn"],
        reverse=True,
    )[:runs]
    if len(earlier) < MIN_BASELINE_RUNS:
        return None
    return sum(int(r.get("ExecutionTime") or 0) for r in earlier) / len(earlier)


def alert_text(run: FinishedRun, stage: str) -> tuple[str, str]:
    """Subject and body of the alert for a failed run."""
    subject = f"[{stage}] {run.job_name} {run.state}: {run.source}"[:SUBJECT_LIMIT]
    body = "\n".join(
        [
            f"Glue job {run.job_name} ended {run.state}.",
            f"run:     {run.run_id}",
            f"source:  {run.source}",
            f"error:   {run.error or '(none reported)'}",
            f"time:    {run.seconds} s",
            "",
            f"Logs: CloudWatch log groups /aws-glue/jobs/*, stream {run.run_id}.",
            "What to do: docs/operations.md, 'A Glue run failed'.",
        ]
    )
    return subject, body


def handle(event: Mapping[str, Any], aws: Clients, config: MonitorConfig) -> dict[str, Any]:
    """Record a finished run; alert when it failed."""
    detail = event["detail"]
    state = detail["state"]
    if state not in FINISHED_STATES:
        return {"status": "IGNORED", "state": state}
    run = describe_run(
        aws.glue, detail["jobName"], detail["jobRunId"], state, detail.get("message")
    )
    metrics.add_dimension(names.JOB_DIMENSION, run.job_name)
    failed = state in FAILURE_STATES
    metrics.add_metric(
        name=names.RUNS_FAILED if failed else names.RUNS_SUCCEEDED, unit=MetricUnit.Count, value=1
    )
    result: dict[str, Any] = {"status": "RECORDED", "job": run.job_name, "run": run.run_id}
    if state == "SUCCEEDED":
        metrics.add_metric(name=names.RUN_SECONDS, unit=MetricUnit.Seconds, value=run.seconds)
        average = recent_average(aws.glue, run.job_name, run.run_id, config.average_runs)
        if average:
            ratio = run.seconds / average
            metrics.add_metric(name=names.RUN_DURATION_RATIO, unit=MetricUnit.Count, value=ratio)
            result["duration_ratio"] = round(ratio, 2)
    if failed:
        subject, body = alert_text(run, config.stage)
        aws.sns.publish(TopicArn=config.alerts_topic_arn, Subject=subject, Message=body)
        logger.error("run failed; alert sent", extra={"job": run.job_name, "run": run.run_id})
        result["alerted"] = True
    return result


@cache
def clients() -> Clients:
    return Clients(glue=boto3.client("glue"), sns=boto3.client("sns"))


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point."""
    return handle(event, clients(), MonitorConfig.from_environ(os.environ))
