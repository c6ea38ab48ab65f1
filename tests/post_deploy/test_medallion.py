"""Post-deploy test of medallion, without calling the external API: the daily schedule is
enabled and starts the state machine with its scheduled time; an execution started without
run dates runs in the stage and fails at once with its reason; the crawler crawls gold's
curated files into the stage's database."""

from __future__ import annotations

import json
import time
import uuid

from applications_repo.medallion.names import MedallionNames

POLL_SECONDS = 2


def test_the_daily_schedule_starts_the_state_machine(aws_session, naming):
    names = MedallionNames(naming)
    schedule = aws_session.client("scheduler").get_schedule(Name=names.daily_schedule)
    assert schedule["State"] == "ENABLED"
    assert schedule["Target"]["Arn"] == names.state_machine_arn
    assert json.loads(schedule["Target"]["Input"]) == {
        "scheduled_time": "<aws.scheduler.scheduled-time>"
    }


def test_an_execution_without_run_dates_fails_with_its_reason(aws_session, naming, run_polling):
    names = MedallionNames(naming)
    sfn = aws_session.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=names.state_machine_arn,
        name=f"post-deploy-{uuid.uuid4().hex[:8]}",
        input="{}",
    )["executionArn"]
    deadline = time.monotonic() + run_polling.timeout_seconds
    described = sfn.describe_execution(executionArn=arn)
    while described["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"]) == ("FAILED", "BadInput")
    assert "run_dates" in described["cause"]


def test_the_crawler_crawls_gold_into_the_stage_database(aws_session, naming):
    names = MedallionNames(naming)
    crawler = aws_session.client("glue").get_crawler(Name=names.crawler)["Crawler"]
    assert crawler["DatabaseName"] == naming.database
    [target] = crawler["Targets"]["S3Targets"]
    assert target["Path"] == f"s3://{names.gold_bucket}/curated/"
