"""Each resource type is created in the local AWS with its template's properties; what a
provider does not apply, and a type with no provider, is reported, never skipped."""

from __future__ import annotations

import json
import zipfile

import pytest

from shared.config import StageName
from shared.local.resource_types import NO_PROVIDER, Handling, support
from shared.local.stage import LocalStage
from shared.local.stage_assembly import FileAsset
from tests.local.templates import assembly, bucket, queue, role, template

BOOTSTRAP = "cdk-hnb659fds-assets-222222222222-us-east-1"


def test_a_bucket_has_its_template_settings(stage_of):
    logged = bucket(
        "probe-data",
        VersioningConfiguration={"Status": "Enabled"},
        BucketEncryption={
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        LifecycleConfiguration={
            "Rules": [
                {"Id": "expire", "Status": "Enabled", "ExpirationInDays": 30},
                {"Id": "quarantine", "Status": "Enabled", "Prefix": "q/", "ExpirationInDays": 7},
            ]
        },
        NotificationConfiguration={"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
        LoggingConfiguration={"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "data/"},
        Tags=[{"Key": "Environment", "Value": "dev"}],
    )
    logs = bucket("probe-logs")
    log_policy = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "Logs"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::probe-logs/*",
                    }
                ],
            },
        },
    }
    with stage_of(template(Data=logged, Logs=logs, LogPolicy=log_policy)) as stage:
        s3 = stage.session.client("s3")
        assert s3.get_bucket_versioning(Bucket="probe-data")["Status"] == "Enabled"
        rules = s3.get_bucket_lifecycle_configuration(Bucket="probe-data")["Rules"]
        assert [(r["ID"], r["Filter"].get("Prefix"), r["Expiration"]["Days"]) for r in rules] == [
            ("expire", "", 30),
            ("quarantine", "q/", 7),
        ]
        s3.put_object(Bucket="probe-data", Key="a b.csv", Body=b"x")
        stage.wait()
        [event] = [e for e in stage.bus.published if e["detail-type"] == "Object Created"]
        assert event["detail"]["object"]["key"] == "a+b.csv"
        assert event["detail"]["reason"] == "PutObject"
        logging = s3.get_bucket_logging(Bucket="probe-data")["LoggingEnabled"]
        assert (logging["TargetBucket"], logging["TargetPrefix"]) == ("probe-logs", "data/")
        tags = s3.get_bucket_tagging(Bucket="probe-data")["TagSet"]
        assert tags == [{"Key": "Environment", "Value": "dev"}]
        assert not stage.coverage.unapplied


def test_a_bucket_policy_is_enforced_as_iam_would(stage_of):
    policy = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "Data"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::probe-data/*",
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::probe-data/locked/*",
                    },
                ],
            },
        },
    }
    with stage_of(template(Data=bucket("probe-data"), Policy=policy)) as stage:
        s3 = stage.session.client("s3")
        s3.put_object(Bucket="probe-data", Key="open/a.txt", Body=b"x")
        with pytest.raises(s3.exceptions.ClientError, match="403"):
            s3.put_object(Bucket="probe-data", Key="locked/a.txt", Body=b"x")


def test_a_queue_a_table_a_key_and_a_role_have_their_settings(stage_of):
    resources = template(
        Dlq=queue("probe-dlq", MessageRetentionPeriod=1209600),
        Work=queue(
            "probe-work",
            VisibilityTimeout=360,
            RedrivePolicy={
                "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                "maxReceiveCount": 3,
            },
        ),
        Table={
            "Type": "AWS::DynamoDB::GlobalTable",
            "Properties": {
                "TableName": "probe-files",
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [
                    {"AttributeName": "date_prefix", "KeyType": "HASH"},
                    {"AttributeName": "file_name", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "date_prefix", "AttributeType": "S"},
                    {"AttributeName": "file_name", "AttributeType": "S"},
                    {"AttributeName": "status", "AttributeType": "S"},
                ],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by-status",
                        "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True},
                "Replicas": [
                    {
                        "Region": "us-east-1",
                        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    }
                ],
            },
        },
        Key={"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
        Role=role(),
    )
    with stage_of(resources) as stage:
        session = stage.session
        sqs = session.client("sqs")
        url = sqs.get_queue_url(QueueName="probe-work")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "360"
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(":probe-dlq")
        assert int(redrive["maxReceiveCount"]) == 3
        dynamodb = session.client("dynamodb")
        table = dynamodb.describe_table(TableName="probe-files")["Table"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-status"]
        ttl = dynamodb.describe_time_to_live(TableName="probe-files")["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expires"
        backups = dynamodb.describe_continuous_backups(TableName="probe-files")
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
        [(_, key)] = stage.deployed.of_type("AWS::KMS::Key")
        kms = session.client("kms")
        assert kms.get_key_rotation_status(KeyId=key.ref)["KeyRotationEnabled"]
        [(_, created_role)] = stage.deployed.of_type("AWS::IAM::Role")
        assert (
            session.client("iam").get_role(RoleName=created_role.ref)["Role"]["Arn"]
            == (created_role.attributes["Arn"])
        )


def test_a_bucket_deployment_copies_its_asset_and_prunes_the_rest(platform_config, tmp_path):
    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("entrypoint.py", "print('job')\n")
    deployment = {
        "Type": "Custom::CDKBucketDeployment",
        "Properties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:222222222222:function:provider",
            "SourceBucketNames": [BOOTSTRAP],
            "SourceObjectKeys": ["code.zip"],
            "DestinationBucketName": {"Ref": "Assets"},
            "DestinationBucketKeyPrefix": "scripts/job/",
            "Prune": True,
        },
    }
    stage_assembly = assembly(tmp_path, template(Assets=bucket("probe-assets"), Code=deployment))
    stage_assembly.assets.append(FileAsset(archive, "file", BOOTSTRAP, "code.zip"))
    with LocalStage(
        platform_config, StageName.DEV, workdir=tmp_path / "run", assembly=stage_assembly
    ) as stage:
        s3 = stage.session.client("s3")
        body = s3.get_object(Bucket="probe-assets", Key="scripts/job/entrypoint.py")["Body"]
        assert body.read() == b"print('job')\n"
        s3.put_object(Bucket="probe-assets", Key="scripts/job/stale.py", Body=b"")
        [(resource, _)] = stage.deployed.of_type("Custom::CDKBucketDeployment")
        stage.deployed.redeploy(resource.type, stage.deployed.templates.name(resource))
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="probe-assets")["Contents"]]
        assert keys == ["scripts/job/entrypoint.py"]


def test_what_is_not_applied_or_not_emulated_is_counted(stage_of):
    resources = template(
        Work=queue("probe-work", ObjectLockMode="GOVERNANCE"),
        Alarm={"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmName": "probe"}},
        Odd={"Type": "AWS::Example::Thing", "Properties": {}},
    )
    with stage_of(resources) as stage:
        coverage = stage.coverage
        assert coverage.unapplied == {"AWS::SQS::Queue.ObjectLockMode": 1}
        assert coverage.not_emulated == {"AWS::CloudWatch::Alarm": 1, "AWS::Example::Thing": 1}
        assert coverage.to_json() == {
            "stage": "dev",
            "resources": 3,
            "local_aws": 1,
            "runtime": 0,
            "not_emulated": {"AWS::CloudWatch::Alarm": 1, "AWS::Example::Thing": 1},
        }
        assert coverage.line() == (
            "stage dev: 3 template resources: 1 in the local AWS, 0 run locally, 2 not emulated "
            "(AWS::CloudWatch::Alarm x1, AWS::Example::Thing x1)"
        )
    assert support("AWS::Example::Thing").handling is Handling.NOT_EMULATED
    assert support("AWS::Example::Thing").reason == NO_PROVIDER
