"""The stage's shared IAM roles (spec: IAM Roles), least privilege, every resource named exactly.

GlueServiceRole runs every Glue job and GlueTestRole runs the post-deploy tests; each
application attaches what only its own jobs and tests need (its inputs, its jobs) from its own
stack, and owns the roles only it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from shared.application import TEMPORARY_PREFIX
from shared.compliance import acknowledge
from shared.config import StageSettings
from shared.infrastructure_contract import (
    CONTRACT_OUTPUT,
    CONTRACT_VERSION,
    publishing_stack,
)
from shared.metrics import NAMESPACE
from shared.naming import TEST_PREFIX, AppName, PipelineNaming, StageNaming

GLUE_CATALOG_READ = ("glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions")
GLUE_CATALOG_WRITE = (
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:GetPartition",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
)
BUCKET_SETTINGS_READ = (
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetLifecycleConfiguration",
    "s3:GetBucketPolicy",
)
GLUE_METRICS_NAMESPACE = "Glue"


class AccessStack(Stack):
    """GlueServiceRole and GlueTestRole of one stage, with what every application shares.

    Args:
        naming: the stage's names; every ARN in the policies is derived from it.
        glue_key: the key of the stage's Glue security configuration.
        pipeline_account: the only account whose pipelines may assume GlueTestRole.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: StageNaming,
        settings: StageSettings,
        glue_key: kms.IKey,
        pipeline_account: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = naming
        self.settings = settings
        self.glue_service_role = self._glue_service_role(glue_key)
        self.test_role = self._test_role(pipeline_account)
        CfnOutput(
            self,
            CONTRACT_OUTPUT,
            value=str(CONTRACT_VERSION),
            description="What the applications may rely on (shared/infrastructure_contract.py).",
        )

    def _glue_service_role(self, glue_key: kms.IKey) -> iam.Role:
        n = self.naming
        role = iam.Role(
            self,
            "GlueServiceRole",
            role_name=n.glue_service_role,
            description=f"Runs the Glue jobs of the {n.stage} stage.",
            assumed_by=iam.ServicePrincipal(
                "glue.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": n.account}}
            ),
        )
        output_objects = f"{n.bucket_arn(n.output_bucket)}/*"
        assets_objects = f"{n.bucket_arn(n.assets_bucket)}/*"
        temporary_objects = f"{n.bucket_arn(n.assets_bucket)}/{TEMPORARY_PREFIX}/*"
        glue_logs = n.log_group_arn("/aws-glue/*")
        statements = [
            _allow(
                "ListDataBuckets",
                ["s3:ListBucket"],
                [n.bucket_arn(b) for b in (n.input_bucket, n.output_bucket, n.assets_bucket)],
            ),
            _allow(
                "WriteOutput",
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                [output_objects],
            ),
            _allow("ReadAssets", ["s3:GetObject"], [assets_objects]),
            _allow(
                "UseTemporaryDirectory",
                ["s3:PutObject", "s3:DeleteObject"],
                [temporary_objects],
            ),
            _allow(
                "UseCatalogDatabase",
                [*GLUE_CATALOG_READ, *GLUE_CATALOG_WRITE],
                [
                    n.glue_arn("catalog"),
                    n.glue_arn(f"database/{n.database}"),
                    n.glue_arn(f"table/{n.database}/*"),
                ],
            ),
            _allow(
                "WriteGlueLogs",
                [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:AssociateKmsKey",
                ],
                [glue_logs, f"{glue_logs}:log-stream:*"],
            ),
            iam.PolicyStatement(
                sid="PublishGlueMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringEquals": {"cloudwatch:namespace": [GLUE_METRICS_NAMESPACE, NAMESPACE]}
                },
            ),
        ]
        policy = iam.ManagedPolicy(
            self,
            "GlueServicePolicy",
            description=f"What the Glue jobs of the {n.stage} stage may do.",
            statements=statements,
            roles=[role],
        )
        glue_key.grant_encrypt_decrypt(role)
        acknowledge(
            policy,
            "IAM5",
            "Glue jobs write any key of the stage's output bucket (keys are derived from their "
            "inputs' names); read their scripts from the assets bucket and use its temporary/ "
            "prefix; manage tables only inside the stage's own catalog database; and write only "
            "to the /aws-glue/ log groups. Each wildcard is confined to one named bucket prefix, "
            "database or log-group prefix.",
            findings=[
                f"Resource::{output_objects}",
                f"Resource::{assets_objects}",
                f"Resource::{temporary_objects}",
                f"Resource::{n.glue_arn(f'table/{n.database}/*')}",
                f"Resource::{glue_logs}",
                f"Resource::{glue_logs}:log-stream:*",
            ],
        )
        acknowledge(
            policy,
            "IAM5",
            "CloudWatch PutMetricData has no resource-level permissions; the statement is "
            "limited by the cloudwatch:namespace condition to Glue's and the platform's "
            "namespaces.",
            findings=["Resource::*"],
        )
        acknowledge(
            role,
            "IAM5",
            "Added by grant_encrypt_decrypt on the stage's own Glue key: ReEncrypt* and "
            "GenerateDataKey* are the KMS action families CloudWatch Logs and Glue bookmark "
            "encryption need, on that single key ARN.",
            findings=["Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*"],
        )
        return role

    def _test_role(self, pipeline_account: str) -> iam.Role:
        n = self.naming
        test_runners = [
            f"arn:{n.partition}:iam::{pipeline_account}:role/"
            f"{PipelineNaming(app).post_deploy_test_role}"
            for app in AppName
        ]
        role = iam.Role(
            self,
            "TestRole",
            role_name=n.test_role,
            description=(
                f"Assumed by the post-deploy tests of the pipelines in account {pipeline_account}."
            ),
            assumed_by=iam.AccountPrincipal(pipeline_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": test_runners}}
            ),
        )
        buckets = [n.bucket_arn(b) for b in (n.input_bucket, n.output_bucket, n.assets_bucket)]
        test_inputs = f"{n.bucket_arn(n.input_bucket)}/{TEST_PREFIX}*"
        outputs = f"{n.bucket_arn(n.output_bucket)}/*"
        policy = iam.ManagedPolicy(
            self,
            "TestPolicy",
            description=f"What the post-deploy tests may do in the {n.stage} stage.",
            roles=[role],
            statements=[
                _allow("ReadBucketSettings", [*BUCKET_SETTINGS_READ, "s3:ListBucket"], buckets),
                _allow(
                    "UploadTestInputs",
                    ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                    [test_inputs],
                ),
                _allow("ReadOutputs", ["s3:GetObject"], [outputs]),
                _allow(
                    "ReadCatalog",
                    list(GLUE_CATALOG_READ),
                    [
                        n.glue_arn("catalog"),
                        n.glue_arn(f"database/{n.database}"),
                        n.glue_arn(f"table/{n.database}/*"),
                    ],
                ),
                _allow(
                    "ReadInfrastructureContractVersion",
                    ["cloudformation:DescribeStacks"],
                    [
                        f"arn:{n.partition}:cloudformation:{n.region}:{n.account}:stack/"
                        f"{publishing_stack(n)}/*"
                    ],
                ),
            ],
        )
        acknowledge(
            policy,
            "IAM5",
            "The post-deploy tests upload and clean up objects only under the integration-test "
            "prefix of the input bucket, read the outputs those uploads produce, and read table "
            "definitions only in the stage's own database.",
            findings=[
                f"Resource::{test_inputs}",
                f"Resource::{outputs}",
                f"Resource::{n.glue_arn(f'table/{n.database}/*')}",
                f"Resource::arn:{n.partition}:cloudformation:{n.region}:{n.account}:stack/"
                f"{publishing_stack(n)}/*",
            ],
        )
        return role


def _allow(sid: str, actions: Sequence[str], resources: Sequence[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=list(actions), resources=list(resources))
