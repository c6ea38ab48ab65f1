"""What the local run provisions matches the synthesized dev templates on every name and
setting both carry, so the local stage and the deployed one cannot drift apart."""

from __future__ import annotations

import pytest
from moto.s3.models import s3_backends

from shared.config import StageName
from shared.local.aws import QUEUING_ATTRIBUTE, LocalAws
from shared.local.provision import provision_stage
from shared.monitoring.definition import stage_definitions
from shared.naming import StageNaming

STAGE = StageName.DEV
JOB_FIELDS = (
    "Role",
    "GlueVersion",
    "WorkerType",
    "NumberOfWorkers",
    "Timeout",
    "MaxRetries",
    "ExecutionProperty",
    "SecurityConfiguration",
)


@pytest.fixture(scope="module")
def provisioned(platform_config):
    naming = StageNaming.of(platform_config, STAGE)
    settings = platform_config.stages.get(STAGE)
    with LocalAws(naming) as aws:
        provision_stage(aws, naming, settings, stage_definitions(platform_config, STAGE))
        yield aws


def event_bridge_enabled(aws: LocalAws, bucket: str) -> bool:
    """moto keeps the setting but leaves it out of GetBucketNotificationConfiguration."""
    stored = s3_backends[aws.naming.account]["global"].buckets[bucket].notification_configuration
    return stored is not None and stored.event_bridge is not None


def resources(synthesized, kind: str) -> list[dict]:
    return [
        resource
        for stack in synthesized.stacks
        if "/Deploy-Dev/" in stack.construct_path
        for resource in stack.template["Resources"].values()
        if resource["Type"] == kind
    ]


def test_buckets(provisioned, infrastructure):
    s3 = provisioned.session.client("s3")
    # The audit trail's bucket is not part of the local stage (CloudTrail is not emulated).
    buckets = [
        b
        for b in resources(infrastructure, "AWS::S3::Bucket")
        if not b["Properties"]["BucketName"].startswith("glue-audit-")
    ]
    assert len(buckets) == 4
    for bucket in buckets:
        expected = bucket["Properties"]
        name = expected["BucketName"]
        versioning = s3.get_bucket_versioning(Bucket=name).get("Status")
        assert versioning == expected.get("VersioningConfiguration", {}).get("Status"), name
        rules = {r["Id"]: r for r in expected["LifecycleConfiguration"]["Rules"]}
        local_rules = {
            r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        }
        assert set(local_rules) == set(rules), name
        for rule_id, rule in rules.items():
            local_rule = local_rules[rule_id]
            assert local_rule.get("Filter", {}).get("Prefix", "") == rule.get("Prefix", ""), rule_id
            assert local_rule.get("Expiration", {}).get("Days") == rule.get("ExpirationInDays")
            assert local_rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == (
                rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
            ), rule_id
        algorithm = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"][
            "Rules"
        ][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        expected_algorithm = expected["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        assert algorithm == expected_algorithm, name
        assert event_bridge_enabled(provisioned, name) == (
            "EventBridgeConfiguration" in expected.get("NotificationConfiguration", {})
        ), name
        logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled", {})
        assert logging.get("TargetPrefix") == expected.get("LoggingConfiguration", {}).get(
            "LogFilePrefix"
        ), name


def test_catalog_database(provisioned, infrastructure):
    [database] = resources(infrastructure, "AWS::Glue::Database")
    name = database["Properties"]["DatabaseInput"]["Name"]
    assert provisioned.session.client("glue").get_database(Name=name)["Database"]["Name"] == name


def test_glue_jobs(provisioned, applications):
    glue = provisioned.session.client("glue")
    jobs = resources(applications, "AWS::Glue::Job")
    assert len(jobs) == 2
    for job in jobs:
        expected = job["Properties"]
        local = glue.get_job(JobName=expected["Name"])["Job"]
        for field in JOB_FIELDS:
            assert local[field] == expected[field], f"{expected['Name']}.{field}"
        assert local["Command"]["ScriptLocation"] == expected["Command"]["ScriptLocation"]
        for argument, value in local["DefaultArguments"].items():
            assert expected["DefaultArguments"][argument] == value, argument
        queuing = getattr(provisioned.glue_job(expected["Name"]), QUEUING_ATTRIBUTE)
        assert queuing == expected["JobRunQueuingEnabled"]


def test_idempotency_tables(provisioned, applications):
    dynamodb = provisioned.session.client("dynamodb")
    tables = resources(applications, "AWS::DynamoDB::GlobalTable")
    assert tables
    for table in tables:
        expected = table["Properties"]
        local = dynamodb.describe_table(TableName=expected["TableName"])["Table"]
        assert local["KeySchema"] == expected["KeySchema"]
        ttl = dynamodb.describe_time_to_live(TableName=expected["TableName"])
        attribute = ttl["TimeToLiveDescription"]["AttributeName"]
        assert attribute == expected["TimeToLiveSpecification"]["AttributeName"]


def test_dead_letter_queues(provisioned, applications):
    sqs = provisioned.session.client("sqs")
    queues = resources(applications, "AWS::SQS::Queue")
    assert queues
    for queue in queues:
        expected = queue["Properties"]
        url = sqs.get_queue_url(QueueName=expected["QueueName"])["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert int(attributes["MessageRetentionPeriod"]) == expected["MessageRetentionPeriod"]
        assert attributes["SqsManagedSseEnabled"] == str(expected["SqsManagedSseEnabled"]).lower()
