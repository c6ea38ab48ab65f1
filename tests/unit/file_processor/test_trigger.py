"""GlueTriggerLambda against moto: valid CSVs start FileProcessorV2 with the right arguments
(on the single-node function up to the threshold, on Glue beyond it), other objects are
rejected with their reason, and a refused run makes the handler raise."""

from __future__ import annotations

import dataclasses
import json
import time

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from moto import mock_aws

from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.file_processor.runtime import trigger
from applications_repo.file_processor.runtime.trigger import Clients, process_event
from applications_repo.file_processor.uploads import TriggerConfig
from shared.config import StageName, load_config
from shared.local.events import object_created_event
from shared.local.function_code import LambdaContext
from shared.naming import StageNaming
from shared.quarantine import MAX_COPY_BYTES, QUARANTINE_PREFIX, REASON_SUFFIX

NAMING = StageNaming.of(load_config(environ={}), StageName.DEV)
CONFIG = TriggerConfig(
    job_name=FileProcessorNames(NAMING).job,
    output_bucket=NAMING.output_bucket,
    database=NAMING.database,
    min_object_bytes=1,
    max_object_bytes=1000,
    single_node_max_bytes=500,
    single_node_function=FileProcessorNames(NAMING).single_node_function,
)
LARGE = 501
"""Bytes of a file above CONFIG's single-node threshold: it runs on Glue."""


FUNCTION = FileProcessorNames(NAMING).trigger_function


@pytest.fixture
def aws(monkeypatch):
    """Glue with the FileProcessor job and a versioned input bucket, in moto."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMING.region)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        lam = boto3.client("lambda", region_name=NAMING.region)
        role = boto3.client("iam").create_role(
            RoleName="single-node", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )["Role"]["Arn"]
        lam.create_function(
            FunctionName=CONFIG.single_node_function,
            Runtime="python3.13",
            Role=role,
            Handler="function_job.handler",
            Code={"ZipFile": b"not run here"},
        )
        glue = boto3.client("glue", region_name=NAMING.region)
        glue.create_job(
            Name=FileProcessorNames(NAMING).job,
            Role=NAMING.role_arn(NAMING.glue_service_role),
            Command={"Name": "glueetl", "ScriptLocation": "s3://assets/script.py"},
            ExecutionProperty={"MaxConcurrentRuns": 3},
        )
        s3 = boto3.client("s3", region_name=NAMING.region)
        s3.create_bucket(Bucket=NAMING.input_bucket)
        s3.put_bucket_versioning(
            Bucket=NAMING.input_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        boto3.client("dynamodb", region_name=NAMING.region).create_table(
            TableName=FileProcessorNames(NAMING).idempotency_table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        trigger.clients.cache_clear()
        trigger.idempotent.cache_clear()
        yield Clients(glue=glue, s3=s3, lambda_=lam)
    trigger.metrics.clear_metrics()


@pytest.fixture
def invoked(aws) -> list[dict]:
    """The Invoke calls the trigger's Lambda client makes (their parameters)."""
    calls: list[dict] = []
    aws.lambda_.meta.events.register(
        "provide-client-params.lambda.Invoke", lambda params, **_: calls.append(dict(params))
    )
    return calls


def single_node_runs(invoked: list[dict]) -> list[dict]:
    """The runs the invocations asked for: ``{"JobRunId": ..., "Arguments": ...}``."""
    assert all(c["InvocationType"] == "Event" for c in invoked)
    assert all(c["FunctionName"] == CONFIG.single_node_function for c in invoked)
    return [json.loads(c["Payload"]) for c in invoked]


def started_arguments(aws, invoked: list[dict]) -> list[dict]:
    """The arguments of every run started, on the function and on Glue."""
    return [r["Arguments"] for r in single_node_runs(invoked)] + [
        r["Arguments"] for r in started_runs(aws)
    ]


def upload(aws, key: str, size: int = 100, *, declared_size: int | None = None) -> dict:
    """Put an object of ``size`` bytes and return its event (with ``declared_size``, if
    given, as the size the event reports)."""
    put = aws.s3.put_object(Bucket=NAMING.input_bucket, Key=key, Body=b"x" * size)
    return object_created_event(
        bucket=NAMING.input_bucket,
        key=key,
        size=size if declared_size is None else declared_size,
        version_id=put["VersionId"],
    )


def event_for(key: str, size: int = 100, version_id: str | None = "v1"):
    return object_created_event(
        bucket=NAMING.input_bucket, key=key, size=size, version_id=version_id
    )


def started_runs(aws) -> list[dict]:
    return aws.glue.get_job_runs(JobName=FileProcessorNames(NAMING).job)["JobRuns"]


ARGUMENTS = {
    "--source_bucket": NAMING.input_bucket,
    "--source_key": "sales/2026.csv",
    "--source_version": "v1",
    "--output_bucket": NAMING.output_bucket,
    "--database": NAMING.database,
}


def test_a_small_csv_starts_a_single_node_run_with_arguments_naming_the_object(aws, invoked):
    result = process_event(event_for("sales/2026.csv"), aws, CONFIG, FUNCTION)
    assert result["status"] == "STARTED" and result["job_run_id"].startswith("fr_")
    assert single_node_runs(invoked) == [
        {"JobRunId": result["job_run_id"], "Arguments": {**ARGUMENTS, "--engine": "arrow"}}
    ]
    assert started_runs(aws) == []


def test_a_large_csv_starts_a_glue_run_with_arguments_naming_the_object(aws, invoked):
    result = process_event(event_for("sales/2026.csv", LARGE), aws, CONFIG, FUNCTION)
    [run] = started_runs(aws)
    assert run["Id"] == result["job_run_id"]
    assert run["Arguments"] == {**ARGUMENTS, "--engine": "spark"}
    assert invoked == []


@pytest.mark.parametrize(("size", "engine"), [(500, "arrow"), (LARGE, "spark")])
def test_the_engine_follows_the_object_size_against_the_single_node_threshold(
    aws, invoked, size, engine
):
    process_event(event_for("sales/2026.csv", size=size), aws, CONFIG, FUNCTION)
    [arguments] = started_arguments(aws, invoked)
    assert arguments["--engine"] == engine


@pytest.mark.parametrize("size", [100, LARGE])
def test_unversioned_objects_start_a_run_without_a_version(aws, invoked, size):
    process_event(event_for("a.csv", size, version_id=None), aws, CONFIG, FUNCTION)
    [arguments] = started_arguments(aws, invoked)
    assert "--source_version" not in arguments


@pytest.mark.parametrize(
    "key", ["folder with spaces/Q1 report.csv", "données/été+2026 50%.csv", "a/b/ünïcødé 名前.CSV"]
)
def test_url_encoded_keys_are_decoded(aws, invoked, key):
    event = event_for(key)
    assert event["detail"]["object"]["key"] != key
    process_event(event, aws, CONFIG, FUNCTION)
    [arguments] = started_arguments(aws, invoked)
    assert arguments["--source_key"] == key


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
def test_other_objects_are_rejected_with_their_reason_and_start_nothing(
    aws, invoked, key, size, reason
):
    result = process_event(upload(aws, key, size), aws, CONFIG, FUNCTION)
    assert result["status"] == "REJECTED"
    assert result["object"] == f"s3://{NAMING.input_bucket}/{key}"
    assert result["reason"] == reason
    assert started_arguments(aws, invoked) == []


def test_rejected_objects_are_kept_in_the_quarantine_with_their_reason(aws):
    # GIVEN a text file uploaded to the input bucket
    event = upload(aws, "notes/Q1 ünïcode.txt", 42)
    # WHEN the trigger rejects it
    result = process_event(event, aws, CONFIG, FUNCTION)
    # THEN a copy of that version and its reason sit under quarantine/
    bucket = NAMING.input_bucket
    copy = aws.s3.get_object(Bucket=bucket, Key=f"{QUARANTINE_PREFIX}notes/Q1 ünïcode.txt")
    assert copy["Body"].read() == b"x" * 42
    reason_key = f"{QUARANTINE_PREFIX}notes/Q1 ünïcode.txt{REASON_SUFFIX}"
    assert result["quarantine"] == f"s3://{bucket}/{reason_key}"
    reason = json.loads(aws.s3.get_object(Bucket=bucket, Key=reason_key)["Body"].read())
    assert reason["reason"] == "not a CSV file: extension '.txt', expected '.csv'"
    assert reason["rejected_by"] == FUNCTION
    assert reason["version_id"] == event["detail"]["object"]["version-id"]


def test_objects_too_large_to_copy_are_recorded_but_left_in_place(aws):
    event = upload(aws, "huge.csv", 10, declared_size=MAX_COPY_BYTES + 1)
    big = dataclasses.replace(CONFIG, max_object_bytes=MAX_COPY_BYTES)
    result = process_event(event, aws, big, FUNCTION)
    reason = json.loads(
        aws.s3.get_object(
            Bucket=NAMING.input_bucket, Key=f"{QUARANTINE_PREFIX}huge.csv{REASON_SUFFIX}"
        )["Body"].read()
    )
    assert result["status"] == "REJECTED" and reason["copy"] is None
    assert reason["source"] == f"s3://{NAMING.input_bucket}/huge.csv"


def test_the_extension_check_ignores_case(aws):
    assert process_event(event_for("UPPER.CSV"), aws, CONFIG, FUNCTION)["status"] == "STARTED"


def test_glue_refusing_the_run_makes_the_handler_raise(aws):
    # GIVEN runs that stay RUNNING, and the job's 3 concurrent runs already going
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/state-manager/set-transition",
        json={"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 99}},
        timeout=5,
    )
    for index in range(3):
        process_event(event_for(f"busy-{index}.csv", LARGE), aws, CONFIG, FUNCTION)
    # WHEN a fourth file arrives  THEN the refusal propagates, so Lambda retries the event
    with pytest.raises(ClientError) as refused:
        process_event(event_for("fourth.csv", LARGE), aws, CONFIG, FUNCTION)
    assert refused.value.response["Error"]["Code"] == "ConcurrentRunsExceededException"
    assert len(started_runs(aws)) == 3


def lambda_context() -> LambdaContext:
    """The context Lambda would pass this function."""
    return LambdaContext(
        function_name=FUNCTION,
        aws_request_id="request-1",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:222222222222:function:{FUNCTION}",
        memory_limit_in_mb=128,
        deadline=time.monotonic() + 30,
        log_group_name=f"/aws/lambda/{FUNCTION}",
    )


@pytest.fixture
def function_environment(monkeypatch):
    """The function's environment, as its stack sets it."""
    for name, value in {
        "JOB_NAME": CONFIG.job_name,
        "OUTPUT_BUCKET": CONFIG.output_bucket,
        "DATABASE": CONFIG.database,
        "MIN_OBJECT_BYTES": "1",
        "MAX_OBJECT_BYTES": "1000",
        "SINGLE_NODE_MAX_BYTES": "500",
        "SINGLE_NODE_FUNCTION": CONFIG.single_node_function,
        "IDEMPOTENCY_TABLE": FileProcessorNames(NAMING).idempotency_table,
        "IDEMPOTENCY_SECONDS": "3600",
    }.items():
        monkeypatch.setenv(name, value)


def test_the_handler_logs_structured_lines_and_publishes_metrics(
    aws, function_environment, capsys, caplog
):
    assert trigger.handler(upload(aws, "notes.txt"), lambda_context())["status"] == "REJECTED"
    [record] = [r for r in caplog.records if r.getMessage() == "object rejected"]
    log = json.loads(trigger.logger.registered_formatter.format(record))
    assert log["level"] == "WARNING"
    assert log["reason"] == "not a CSV file: extension '.txt', expected '.csv'"
    assert log["object"] == f"s3://{NAMING.input_bucket}/notes.txt"
    assert log["function_name"] == FileProcessorNames(NAMING).trigger_function
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [by_reason] = [line for line in lines if "FilesRejectedByReason" in line]
    assert by_reason["FilesRejectedByReason"] == [1.0] and by_reason["Reason"] == "extension"
    assert by_reason["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "GlueDataPlatform"
    [totals] = [line for line in lines if "FilesReceived" in line]
    assert totals["FilesReceived"] == [1.0] and totals["FilesRejected"] == [1.0]


@pytest.mark.parametrize("size", [100, LARGE])
def test_the_same_event_delivered_twice_starts_one_run(
    aws, invoked, function_environment, monkeypatch, size
):
    monkeypatch.setattr(trigger, "clients", lambda: aws)
    # GIVEN one upload whose event S3/EventBridge deliver twice (at-least-once delivery)
    event = upload(aws, "twice.csv", size)
    first = trigger.handler(event, lambda_context())
    # WHEN the duplicate arrives
    second = trigger.handler(event, lambda_context())
    # THEN it is recognised: same run id, marked duplicate, and only one run exists
    assert second == {**first, "duplicate": True}
    started = [r["JobRunId"] for r in single_node_runs(invoked)] + [
        r["Id"] for r in started_runs(aws)
    ]
    assert started == [first["job_run_id"]]


def test_a_new_version_of_the_same_key_is_not_a_duplicate(aws, function_environment):
    first = trigger.handler(upload(aws, "again.csv"), lambda_context())
    second = trigger.handler(upload(aws, "again.csv"), lambda_context())
    assert "duplicate" not in second and second["job_run_id"] != first["job_run_id"]


def test_an_event_that_failed_is_processed_when_retried(aws, function_environment):
    # GIVEN Glue refuses the first attempt (the job is missing)
    event = upload(aws, "retry.csv", LARGE)
    aws.glue.delete_job(JobName=FileProcessorNames(NAMING).job)
    with pytest.raises(ClientError):
        trigger.handler(event, lambda_context())
    # WHEN the job exists again and Lambda retries the same event
    aws.glue.create_job(
        Name=FileProcessorNames(NAMING).job,
        Role=NAMING.role_arn(NAMING.glue_service_role),
        Command={"Name": "glueetl", "ScriptLocation": "s3://assets/script.py"},
    )
    # THEN the retry starts the run: the failure left no idempotency record behind
    assert trigger.handler(event, lambda_context())["status"] == "STARTED"
