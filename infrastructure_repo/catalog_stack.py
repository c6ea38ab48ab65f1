"""The stage's Glue catalog database and the security configuration its Glue jobs run with."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from shared.config import StageSettings
from shared.naming import StageNaming

KEY_DELETION_WAITING_DAYS = 30


class CatalogStack(Stack):
    """``glue_database_v2_{stage}``, the KMS key of the stage's Glue logs and job bookmarks, and
    the Glue security configuration that applies it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: StageNaming,
        settings: StageSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY

        self.database = glue.Database(
            self,
            "Database",
            database_name=naming.database,
            description=f"Tables written by the Glue jobs of the {naming.stage} stage.",
            removal_policy=removal,
        )

        self.key = kms.Key(
            self,
            "GlueKey",
            alias=naming.glue_key_alias,
            description=f"Encrypts the Glue job logs and bookmarks of the {naming.stage} stage.",
            enable_key_rotation=True,
            pending_window=Duration.days(KEY_DELETION_WAITING_DAYS),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{naming.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": naming.log_group_arn("*"),
                    }
                },
            )
        )

        self.security_configuration = glue.SecurityConfiguration(
            self,
            "SecurityConfiguration",
            security_configuration_name=naming.glue_security_configuration,
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(self.key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(self.key),
            s3_encryption=glue.S3Encryption.s3_managed(),
        )
