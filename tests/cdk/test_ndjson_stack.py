"""ndjson-batching's stack carries the seed's per-stage table (Lambda concurrency, Glue
workers and concurrent runs, input lifecycle), the queue's settings, the tracking table and
the wiring, in dev and prod."""

from __future__ import annotations

import pytest

from applications_repo.ndjson_batching.application import NDJSON_BATCHING
from applications_repo.ndjson_batching.names import NdjsonNames
from shared.config import StageName
from shared.naming import StageNaming
from tests.cdk.templates import as_list, managed_policy_statements, only, statement

SEED = {
    # stage: (builder concurrency, workers, worker type, max concurrent runs, input days)
    StageName.DEV: (2, 2, "G.1X", 1, 3),
    StageName.PROD: (50, 20, "G.2X", 30, 7),
}


@pytest.fixture(params=list(StageName), ids=lambda s: s.value)
def stage(request):
    return request.param


@pytest.fixture
def ndjson(applications, stage):
    names = NdjsonNames(StageNaming.of(applications.config, stage))
    return names, applications.application_template(stage, NDJSON_BATCHING.name)


def test_the_seeds_values_per_stage(ndjson, stage):
    names, template = ndjson
    concurrency, workers, worker_type, runs, input_days = SEED[stage]
    builder = only(template, "AWS::Lambda::Function", {"FunctionName": names.builder})
    assert builder["Properties"]["ReservedConcurrentExecutions"] == concurrency
    job = only(template, "AWS::Glue::Job", {"Name": names.job})["Properties"]
    assert (job["NumberOfWorkers"], job["WorkerType"]) == (workers, worker_type)
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": runs}
    bucket = only(template, "AWS::S3::Bucket", {"BucketName": names.input_bucket})["Properties"]
    [expiry] = [
        r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Id"] == "expire-and-clean-up"
    ]
    assert expiry["ExpirationInDays"] == input_days


def test_the_queue_batches_ten_with_a_360_second_visibility_and_a_dead_letter_queue(ndjson):
    names, template = ndjson
    queue = only(template, "AWS::SQS::Queue", {"QueueName": names.queue})["Properties"]
    assert queue["VisibilityTimeout"] == 360
    assert queue["SqsManagedSseEnabled"] is True
    [dead_letters_id] = template.find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": names.queue_dead_letters}}
    )
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    [mapping] = template.find_resources("AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["BatchSize"] == 10
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    rule = only(template, "AWS::Events::Rule", {"Name": names.input_rule})["Properties"]
    assert rule["EventPattern"]["detail"]["bucket"] == {"name": [names.input_bucket]}
    [queue_id] = template.find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": names.queue}}
    )
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [dead_letters_id, "Arn"]}


def test_the_tracking_table_is_keyed_by_day_and_file_with_a_status_index(ndjson):
    names, template = ndjson
    table = only(template, "AWS::DynamoDB::GlobalTable", {"TableName": names.tracking_table})
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": "date_prefix", "KeyType": "HASH"},
        {"AttributeName": "file_name", "KeyType": "RANGE"},
    ]
    [index] = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-status"
    assert index["KeySchema"][0] == {"AttributeName": "status", "KeyType": "HASH"}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"]["SSEEnabled"] is True
    replica = properties["Replicas"][0]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_manifests_start_the_job_through_the_starter(ndjson):
    names, template = ndjson
    rule = only(template, "AWS::Events::Rule", {"Name": names.manifest_rule})["Properties"]
    assert rule["EventPattern"]["detail"] == {
        "bucket": {"name": [names.manifest_bucket]},
        "object": {"key": [{"prefix": "manifests/"}]},
    }
    starter_id = next(
        iter(
            template.find_resources(
                "AWS::Lambda::Function", {"Properties": {"FunctionName": names.starter}}
            )
        )
    )
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [starter_id, "Arn"]}
    statements = managed_policy_statements(template, f"What {names.starter} may do")
    assert statement(statements, "StartBatchJob")["Action"] == "glue:StartJobRun"


def test_the_sweep_is_scheduled_everywhere_and_the_health_check_in_prod(ndjson, stage):
    names, template = ndjson
    sweep = only(template, "AWS::Events::Rule", {"Name": names.sweep_schedule})["Properties"]
    assert sweep["ScheduleExpression"] == "rate(5 minutes)"
    assert sweep["Targets"][0]["Input"] == '{"action":"sweep"}'
    health = template.find_resources(
        "AWS::Events::Rule", {"Properties": {"Name": names.health_schedule}}
    )
    assert len(health) == (1 if stage is StageName.PROD else 0)


def test_the_builder_may_write_only_manifests_and_quarantine_copies(ndjson, applications, stage):
    names, template = ndjson
    n = StageNaming.of(applications.config, stage)
    statements = managed_policy_statements(template, f"What {names.builder} may do")
    written = sorted(
        resource
        for s in statements
        if "s3:PutObject" in as_list(s["Action"])
        for resource in as_list(s["Resource"])
    )
    assert written == [
        f"{n.bucket_arn(names.input_bucket)}/quarantine/*",
        f"{n.bucket_arn(names.manifest_bucket)}/*",
    ]
