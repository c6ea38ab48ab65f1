"""parquet-to-json's stack carries what spec 000 names: the Glue job's G.1X workers auto
scaling from 2 to 10, its 60 minutes and 2 retries, the metadata table's key, attributes
for its indexes, on-demand billing, point-in-time recovery and encryption, the encrypted and
versioned buckets, the orchestrator on the source bucket's uploads, the sweep, and the
alarms on failures, duration, throttling and stuck runs."""

from __future__ import annotations

import json

import pytest

from applications_repo.parquet_to_json.application import PARQUET_TO_JSON
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from shared.config import StageName
from shared.naming import StageNaming
from tests.cdk.templates import as_list, managed_policy_statements, only, statement


@pytest.fixture(params=list(StageName), ids=lambda s: s.value)
def stage(request):
    return request.param


@pytest.fixture
def p2j(applications, stage):
    naming = StageNaming.of(applications.config, stage)
    return ParquetToJsonNames(naming), applications.application_template(
        stage, PARQUET_TO_JSON.name
    )


def test_the_glue_job_has_the_seeds_workers_timeout_and_retries(p2j):
    names, template = p2j
    job = only(template, "AWS::Glue::Job", {"Name": names.job})["Properties"]
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.1X", 10)
    assert job["DefaultArguments"]["--enable-auto-scaling"] == "true"
    assert (job["Timeout"], job["MaxRetries"]) == (60, 2)
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 10}
    assert "JobRunQueuingEnabled" not in job or job["JobRunQueuingEnabled"] is False
    assert job["SecurityConfiguration"].startswith("glue-security-")
    assert job["DefaultArguments"]["--engine"] == "spark"
    contract = json.loads(job["DefaultArguments"]["--contract"])
    assert ["fare_amount", "number", True] in contract["columns"]
    assert contract["non_negative"] == ["fare_amount", "trip_distance"]


def test_the_metadata_table_is_keyed_by_file_with_status_and_source_indexes(p2j):
    names, template = p2j
    table = only(template, "AWS::DynamoDB::GlobalTable", {"TableName": names.metadata_table})
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "file_id", "KeyType": "HASH"}]
    indexes = {i["IndexName"]: i["KeySchema"] for i in properties["GlobalSecondaryIndexes"]}
    assert indexes == {
        "by-status": [
            {"AttributeName": "processing_status", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
        "by-source": [
            {"AttributeName": "source_file_path", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
    }
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"]["SSEEnabled"] is True
    replica = properties["Replicas"][0]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_both_buckets_are_encrypted_versioned_and_expire_their_staging_and_quarantine(p2j):
    names, template = p2j
    for name, prefix in ((names.source_bucket, "quarantine/"), (names.output_bucket, "_staging/")):
        bucket = only(template, "AWS::S3::Bucket", {"BucketName": name})["Properties"]
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        prefixes = [r.get("Prefix") for r in bucket["LifecycleConfiguration"]["Rules"]]
        assert prefix in prefixes


def test_uploads_outside_the_quarantine_fire_the_orchestrator(p2j):
    names, template = p2j
    rule = only(template, "AWS::Events::Rule", {"Name": names.upload_rule})["Properties"]
    assert rule["EventPattern"]["detail"] == {
        "bucket": {"name": [names.source_bucket]},
        "object": {"key": [{"anything-but": {"prefix": "quarantine/"}}]},
    }
    [function_id] = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": names.orchestrator}}
    )
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    function = only(template, "AWS::Lambda::Function", {"FunctionName": names.orchestrator})
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment["METADATA_TABLE"] == names.metadata_table
    assert environment["SINGLE_NODE_MAX_BYTES"] == str(128 * 1024 * 1024)
    assert function["Properties"]["Runtime"].startswith("python3.")


def test_the_orchestrator_may_start_runs_and_write_only_the_quarantine(p2j, applications, stage):
    names, template = p2j
    n = StageNaming.of(applications.config, stage)
    statements = managed_policy_statements(template, f"What {names.orchestrator} may do")
    assert statement(statements, "StartGlueRuns")["Action"] == "glue:StartJobRun"
    written = [
        r
        for s in statements
        if "s3:PutObject" in as_list(s["Action"])
        for r in as_list(s["Resource"])
    ]
    assert written == [f"{n.bucket_arn(names.source_bucket)}/quarantine/*"]
    table = statement(statements, "RecordUploads")
    assert sorted(as_list(table["Action"])) == [
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]


def test_the_single_node_function_runs_the_job_script_with_arrow(p2j):
    names, template = p2j
    function = only(template, "AWS::Lambda::Function", {"FunctionName": names.single_node})
    properties = function["Properties"]
    defaults = json.loads(properties["Environment"]["Variables"]["JOB_DEFAULT_ARGUMENTS"])
    assert defaults["--engine"] == "arrow"
    assert properties["ReservedConcurrentExecutions"] == 10
    assert properties["Timeout"] == 900
    assert len(properties["Layers"]) == 1


def test_the_sweep_runs_every_five_minutes(p2j):
    names, template = p2j
    sweep = only(template, "AWS::Events::Rule", {"Name": names.sweep_schedule})["Properties"]
    assert sweep["ScheduleExpression"] == "rate(5 minutes)"
    assert sweep["Targets"][0]["Input"] == '{"action":"sweep"}'


def test_the_alarms_cover_failures_duration_throttling_and_stuck_runs(applications, stage):
    names = ParquetToJsonNames(StageNaming.of(applications.config, stage))
    template = applications.stage_template(stage, "monitoring")
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
    }

    def alarm(subject: str, what: str) -> dict:
        [found] = [p for name, p in alarms.items() if subject in name and name.endswith(what)]
        return found

    assert alarm(names.job, "failed-files")["MetricName"] == "ParquetFilesFailed"
    assert alarm(names.job, "conversion-duration")["Threshold"] == 30 * 60
    assert alarm(names.sweeper, "stuck-runs")["Threshold"] == 0
    for kind in ("read", "write"):
        throttles = alarm(names.metadata_table, f"{kind}-throttles")
        assert throttles["Namespace"] == "AWS/DynamoDB"
        assert throttles["Dimensions"] == [{"Name": "TableName", "Value": names.metadata_table}]
