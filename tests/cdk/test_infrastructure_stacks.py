"""The infrastructure app's stage stacks carry every property the spec names, in dev and prod."""

from __future__ import annotations

import pytest

from shared.config import StageName
from shared.naming import (
    QUARANTINE_PREFIX,
    TEST_PREFIX,
    AppName,
    Concern,
    PipelineNaming,
    StageNaming,
)
from tests.cdk.templates import as_list, managed_policy_statements, role, statement

STAGES = list(StageName)


def bucket_properties(template, bucket_name: str) -> dict:
    [resource] = template.find_resources(
        "AWS::S3::Bucket", {"Properties": {"BucketName": bucket_name}}
    ).values()
    return resource


def lifecycle_rule(bucket: dict, rule_id: str = "expire-and-clean-up") -> dict:
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    return next(rule for rule in rules if rule["Id"] == rule_id)


@pytest.mark.parametrize("stage", STAGES)
def test_buckets_follow_the_spec_table(infrastructure, stage):
    settings = infrastructure.config.stages.get(stage)
    naming = StageNaming.of(infrastructure.config, stage)
    template = infrastructure.stage_template(stage, Concern.STORAGE)

    input_bucket = bucket_properties(template, naming.input_bucket)
    assert input_bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = lifecycle_rule(input_bucket)
    assert rule["ExpirationInDays"] == settings.storage.input_expiration_days == 30
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == (
        settings.storage.noncurrent_version_expiration_days
    )
    quarantine = lifecycle_rule(input_bucket, "expire-quarantine")
    assert quarantine["Prefix"] == QUARANTINE_PREFIX
    assert quarantine["ExpirationInDays"] == settings.storage.quarantine_expiration_days
    assert input_bucket["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }

    output_bucket = bucket_properties(template, naming.output_bucket)
    assert output_bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert lifecycle_rule(output_bucket)["ExpirationInDays"] == 90

    assets_bucket = bucket_properties(template, naming.assets_bucket)
    assert "VersioningConfiguration" not in assets_bucket["Properties"]
    assert "ExpirationInDays" not in lifecycle_rule(assets_bucket)


@pytest.mark.parametrize("stage", STAGES)
def test_every_bucket_is_encrypted_private_and_logged(infrastructure, stage):
    naming = StageNaming.of(infrastructure.config, stage)
    template = infrastructure.stage_template(stage, Concern.STORAGE)
    buckets = template.find_resources("AWS::S3::Bucket")
    assert len(buckets) == 4
    [log_bucket_id] = [
        logical_id
        for logical_id, resource in buckets.items()
        if resource["Properties"]["BucketName"] == naming.access_logs_bucket
    ]
    for resource in buckets.values():
        properties = resource["Properties"]
        assert properties["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        }
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["OwnershipControls"] == {
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
        }
        if properties["BucketName"] != naming.access_logs_bucket:
            assert properties["LoggingConfiguration"] == {
                "DestinationBucketName": {"Ref": log_bucket_id},
                "LogFilePrefix": f"{properties['BucketName']}/",
            }


@pytest.mark.parametrize("stage", STAGES)
def test_every_bucket_policy_denies_plain_http_and_old_tls(infrastructure, stage):
    template = infrastructure.stage_template(stage, Concern.STORAGE)
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 4
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denials = [s for s in statements if s["Effect"] == "Deny"]
        conditions = [s["Condition"] for s in denials]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions


def test_prod_data_buckets_are_retained_and_dev_ones_are_not(infrastructure):
    for stage, policy in ((StageName.PROD, "Retain"), (StageName.DEV, "Delete")):
        template = infrastructure.stage_template(stage, Concern.STORAGE)
        for resource in template.find_resources("AWS::S3::Bucket").values():
            assert resource["DeletionPolicy"] == policy
            assert resource["UpdateReplacePolicy"] == policy


@pytest.mark.parametrize("stage", STAGES)
def test_catalog_database_and_glue_security_configuration(infrastructure, stage):
    naming = StageNaming.of(infrastructure.config, stage)
    template = infrastructure.stage_template(stage, Concern.CATALOG)
    template.has_resource_properties(
        "AWS::Glue::Database", {"DatabaseInput": {"Name": naming.database}}
    )
    template.has_resource_properties(
        "AWS::Glue::SecurityConfiguration",
        {
            "Name": naming.glue_security_configuration,
            "EncryptionConfiguration": {
                "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS"},
                "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS"},
                "S3Encryptions": [{"S3EncryptionMode": "SSE-S3"}],
            },
        },
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": naming.glue_key_alias})


@pytest.mark.parametrize("stage", STAGES)
def test_glue_service_role_is_least_privilege(infrastructure, stage):
    n = StageNaming.of(infrastructure.config, stage)
    template = infrastructure.stage_template(stage, Concern.ACCESS)
    trust = role(template, n.glue_service_role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": n.account}},
        }
    ]
    statements = managed_policy_statements(template, "Glue jobs")
    # what only one application's jobs read is granted from that application's stack
    assert not {"ReadInput", "ReadLegislatorsInput"} & {s.get("Sid") for s in statements}
    write = statement(statements, "WriteOutput")
    assert as_list(write["Resource"]) == [f"{n.bucket_arn(n.output_bucket)}/*"]
    assert "s3:PutObject" in write["Action"]
    assert as_list(statement(statements, "ReadAssets")["Resource"]) == [
        f"{n.bucket_arn(n.assets_bucket)}/*"
    ]
    catalog = statement(statements, "UseCatalogDatabase")
    assert n.glue_arn(f"database/{n.database}") in catalog["Resource"]
    assert all(n.database in r or r.endswith(":catalog") for r in catalog["Resource"])
    assert all(
        r.startswith(n.log_group_arn("/aws-glue/"))
        for r in statement(statements, "WriteGlueLogs")["Resource"]
    )


@pytest.mark.parametrize("stage", STAGES)
def test_test_role_is_assumable_only_by_the_pipelines_test_runners(infrastructure, stage):
    n = StageNaming.of(infrastructure.config, stage)
    pipeline_account = infrastructure.config.accounts.pipeline.account_id
    template = infrastructure.stage_template(stage, Concern.ACCESS)
    [trust] = role(template, n.test_role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{pipeline_account}:root"}
    runners = trust["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    assert sorted(runners) == sorted(
        f"arn:aws:iam::{pipeline_account}:role/{PipelineNaming(app).post_deploy_test_role}"
        for app in AppName
    )
    statements = managed_policy_statements(template, "post-deploy tests")
    uploads = statement(statements, "UploadTestInputs")
    assert as_list(uploads["Resource"]) == [f"{n.bucket_arn(n.input_bucket)}/{TEST_PREFIX}*"]
    assert not any(a.startswith("glue:Start") for s in statements for a in as_list(s["Action"]))


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_account_has_an_encrypted_validated_multi_region_trail(infrastructure, stage):
    naming = StageNaming.of(infrastructure.config, stage)
    template = infrastructure.stage_template(stage, Concern.AUDIT)
    [trail] = template.find_resources("AWS::CloudTrail::Trail").values()
    properties = trail["Properties"]
    assert properties["TrailName"] == naming.audit_trail
    assert properties["IsMultiRegionTrail"] is True
    assert properties["IncludeGlobalServiceEvents"] is True
    assert properties["EnableLogFileValidation"] is True
    assert properties["IsLogging"] is True
    assert properties["EventSelectors"] == [
        {"IncludeManagementEvents": True, "ReadWriteType": "All"}
    ]
    assert "KMSKeyId" in properties
    [key] = template.find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    bucket = bucket_properties(template, naming.audit_bucket)
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == (
        naming.access_logs_bucket
    )


def test_an_organization_trail_replaces_the_stage_trail(tmp_path):
    from aws_cdk import App  # noqa: PLC0415

    from infrastructure_repo.stage import InfrastructureStage  # noqa: PLC0415
    from shared.cdk_app import feature_flags  # noqa: PLC0415
    from shared.config import load_config  # noqa: PLC0415
    from tests.unit.config_files import write_config  # noqa: PLC0415

    config = load_config(write_config(tmp_path, {"stages.dev.audit": {"trail": False}}))
    app = App(context=feature_flags(), outdir=str(tmp_path / "cdk.out"))
    dev = InfrastructureStage(app, "Dev", config=config, stage=StageName.DEV)
    prod = InfrastructureStage(app, "Prod", config=config, stage=StageName.PROD)
    assert not hasattr(dev, "audit")
    assert prod.audit.trail.trail_name == StageNaming.of(config, StageName.PROD).audit_trail
    storage = dev.synth().get_stack_by_name(dev.storage.stack_name).template
    sids = [
        s.get("Sid")
        for r in storage["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert "AllowAuditBucketAccessLogs" not in sids
