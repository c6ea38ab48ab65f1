"""GlueTriggerLambda against moto: valid CSVs start FileProcessorV2 with the right arguments,
other objects are rejected with their reason, and a refused run makes the handler raise."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from moto import mock_aws

from applications_repo.file_processor.runtime import trigger
from applications_repo.file_processor.runtime.trigger import TriggerConfig, process_event
from shared.config import StageName, load_config
from shared.local.events import object_created_event
from shared.naming import StageNaming

NAMING = StageNaming.of(load_config(environ={}), StageName.DEV)
CONFIG = TriggerConfig(
    job_name=NAMING.file_processor_job,
    output_bucket=NAMING.output_bucket,
    database=NAMING.database,
    min_object_bytes=1,
    max_object_bytes=1000,
)


@pytest.fixture
def glue(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMING.region)
    with mock_aws():
        client = boto3.client("glue", region_name=NAMING.region)
        client.create_job(
            Name=NAMING.file_processor_job,
            Role=NAMING.role_arn(NAMING.glue_service_role),
            Command={"Name": "glueetl", "ScriptLocation": "s3://assets/script.py"},
            ExecutionProperty={"MaxConcurrentRuns": 3},
        )
        yield client
    trigger.metrics.clear_metrics()


def event_for(key: str, size: int = 100, version_id: str | None = "v1"):
    return object_created_event(
        bucket=NAMING.input_bucket, key=key, size=size, version_id=version_id
    )


def started_runs(glue) -> list[dict]:
    return glue.get_job_runs(JobName=NAMING.file_processor_job)["JobRuns"]


def test_a_csv_starts_the_file_processor_with_arguments_naming_the_object(glue):
    result = process_event(event_for("sales/2026.csv"), glue, CONFIG)
    assert result["status"] == "STARTED"
    [run] = started_runs(glue)
    assert run["Id"] == result["job_run_id"]
    assert run["Arguments"] == {
        "--source_bucket": NAMING.input_bucket,
        "--source_key": "sales/2026.csv",
        "--source_version": "v1",
        "--output_bucket": NAMING.output_bucket,
        "--database": NAMING.database,
    }


def test_unversioned_objects_start_a_run_without_a_version(glue):
    process_event(event_for("a.csv", version_id=None), glue, CONFIG)
    assert "--source_version" not in started_runs(glue)[0]["Arguments"]


@pytest.mark.parametrize(
    "key", ["folder with spaces/Q1 report.csv", "données/été+2026 50%.csv", "a/b/ünïcødé 名前.CSV"]
)
def test_url_encoded_keys_are_decoded(glue, key):
    event = event_for(key)
    assert event["detail"]["object"]["key"] != key
    process_event(event, glue, CONFIG)
    assert started_runs(glue)[0]["Arguments"]["--source_key"] == key


@pytest.mark.parametrize(
    ("key", "size", "reason"),
    [
        ("notes.txt", 100, "not a CSV file: extension '.txt', expected '.csv'"),
        ("data.csv.gz", 100, "not a CSV file: extension '.gz', expected '.csv'"),
        ("README", 100, "not a CSV file: extension none, expected '.csv'"),
        ("folder/", 0, "a folder marker, not a file"),
        ("empty.csv", 0, "empty file (0 bytes)"),
        ("huge.csv", 1001, "1001 bytes is above the 1000-byte maximum"),
    ],
)
def test_other_objects_are_rejected_with_their_reason_and_start_nothing(glue, key, size, reason):
    result = process_event(event_for(key, size), glue, CONFIG)
    assert result == {
        "status": "REJECTED",
        "object": f"s3://{NAMING.input_bucket}/{key}",
        "reason": reason,
    }
    assert started_runs(glue) == []


def test_the_extension_check_ignores_case(glue):
    assert process_event(event_for("UPPER.CSV"), glue, CONFIG)["status"] == "STARTED"


def test_glue_refusing_the_run_makes_the_handler_raise(glue):
    # GIVEN runs that stay RUNNING, and the job's 3 concurrent runs already going
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/state-manager/set-transition",
        json={"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 99}},
        timeout=5,
    )
    for index in range(3):
        process_event(event_for(f"busy-{index}.csv"), glue, CONFIG)
    # WHEN a fourth file arrives  THEN the refusal propagates, so Lambda retries the event
    with pytest.raises(ClientError) as refused:
        process_event(event_for("fourth.csv"), glue, CONFIG)
    assert refused.value.response["Error"]["Code"] == "ConcurrentRunsExceededException"
    assert len(started_runs(glue)) == 3


@dataclass
class FakeContext:
    function_name: str = NAMING.trigger_function
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = (
        f"arn:aws:lambda:us-east-1:222222222222:function:{NAMING.trigger_function}"
    )
    aws_request_id: str = "request-1"


def test_the_handler_logs_structured_lines_and_publishes_metrics(glue, monkeypatch, capsys, caplog):
    for name, value in {
        "JOB_NAME": CONFIG.job_name,
        "OUTPUT_BUCKET": CONFIG.output_bucket,
        "DATABASE": CONFIG.database,
        "MIN_OBJECT_BYTES": "1",
        "MAX_OBJECT_BYTES": "1000",
    }.items():
        monkeypatch.setenv(name, value)
    trigger.glue_client.cache_clear()
    assert trigger.handler(event_for("notes.txt"), FakeContext())["status"] == "REJECTED"
    [record] = [r for r in caplog.records if r.getMessage() == "object rejected"]
    log = json.loads(trigger.logger.registered_formatter.format(record))
    assert log["level"] == "WARNING"
    assert log["reason"] == "not a CSV file: extension '.txt', expected '.csv'"
    assert log["object"] == f"s3://{NAMING.input_bucket}/notes.txt"
    assert log["function_name"] == NAMING.trigger_function
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [metric] = [line for line in lines if "FilesRejected" in line]
    assert metric["FilesRejected"] == [1.0] and metric["Reason"] == "extension"
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == trigger.METRICS_NAMESPACE
