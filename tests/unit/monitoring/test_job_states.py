"""GlueRunMonitor: a failed run alerts the stage's topic with job, run, source and error; a
successful one is measured against the average of the job's recent successful runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from shared.local.events import glue_job_state_event
from shared.monitoring import job_states
from shared.monitoring.job_states import (
    Clients,
    MonitorConfig,
    handle,
    recent_average,
)

JOB = "FileProcessorV2-dev"
REGION = "us-east-1"


@pytest.fixture
def aws():
    with mock_aws():
        glue = boto3.client("glue", region_name=REGION)
        glue.create_job(
            Name=JOB, Role="arn:aws:iam::123456789012:role/r", Command={"Name": "glueetl"}
        )
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="glue-alerts-dev")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
        yield Clients(glue=glue, sns=sns), MonitorConfig("dev", topic, 10), sqs, inbox
    job_states.metrics.clear_metrics()


def state_event(run_id: str, state: str, message: str | None = None) -> dict:
    return glue_job_state_event(
        job_name=JOB, run_id=run_id, state=state, message=message, account="1", region=REGION
    )


def test_a_failed_run_alerts_with_job_run_source_and_error(aws):
    clients, config, sqs, inbox = aws
    run_id = clients.glue.start_job_run(
        JobName=JOB,
        Arguments={
            "--source_bucket": "in",
            "--source_key": "sales/a.csv",
            "--source_version": "v7",
        },
    )["JobRunId"]
    result = handle(
        state_event(run_id, "FAILED", "OutOfMemoryError: Java heap space"), clients, config
    )
    assert result["alerted"] is True
    [message] = sqs.receive_message(QueueUrl=inbox)["Messages"]
    alert = json.loads(message["Body"])
    assert alert["Subject"] == f"[dev] {JOB} FAILED: s3://in/sales/a.csv (version v7)"
    assert f"run:     {run_id}" in alert["Message"]
    assert "error:   OutOfMemoryError: Java heap space" in alert["Message"]


def test_a_successful_run_sends_no_alert(aws):
    clients, config, sqs, inbox = aws
    run_id = clients.glue.start_job_run(JobName=JOB)["JobRunId"]
    result = handle(state_event(run_id, "SUCCEEDED"), clients, config)
    assert "alerted" not in result
    assert sqs.receive_message(QueueUrl=inbox).get("Messages", []) == []


def test_runs_still_going_are_ignored(aws):
    clients, config, _, _ = aws
    assert handle(state_event("jr_x", "RUNNING"), clients, config)["status"] == "IGNORED"


class History:
    """A Glue client whose GetJobRuns returns the given runs."""

    def __init__(self, runs: list[tuple[str, str, int]]) -> None:
        start = datetime(2026, 11, 1, tzinfo=UTC)
        self.runs = [
            {
                "Id": run_id,
                "JobRunState": state,
                "ExecutionTime": seconds,
                "StartedOn": start + timedelta(hours=index),
            }
            for index, (run_id, state, seconds) in enumerate(runs)
        ]

    def get_job_runs(self, JobName: str, MaxResults: int) -> dict:  # noqa: N803 (boto3's names)
        return {"JobRuns": list(reversed(self.runs))}


def test_the_average_is_of_the_last_successful_runs_before_this_one():
    history = History(
        [
            ("old", "SUCCEEDED", 1000),
            ("a", "SUCCEEDED", 10),
            ("f", "FAILED", 999),
            ("b", "SUCCEEDED", 20),
            ("c", "SUCCEEDED", 30),
            ("now", "SUCCEEDED", 500),
        ]
    )
    assert recent_average(history, JOB, "now", runs=3) == 20
    assert recent_average(history, JOB, "now", runs=4) == (10 + 20 + 30 + 1000) / 4


def test_there_is_no_average_without_enough_history():
    history = History([("a", "SUCCEEDED", 10), ("now", "SUCCEEDED", 10)])
    assert recent_average(history, JOB, "now", runs=10) is None
