"""The stage's Glue catalog database and the security configuration its Glue jobs run with."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from constructs import Construct

from shared.config import StageSettings
from shared.constructs.logging import LogsKey, encrypted_log_group
from shared.naming import StageNaming


class CatalogStack(Stack):
    """``glue_database_v2_{stage}``; the KMS key of the stage's Glue logs and job bookmarks, the
    Glue security configuration that applies it, and the log groups Glue writes into (owned
    here so that their retention is managed)."""

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

        self.key = LogsKey(
            self,
            "GlueKey",
            naming=naming,
            alias=naming.glue_key_alias,
            description=f"Encrypts the Glue job logs and bookmarks of the {naming.stage} stage.",
            log_group_pattern="/aws-glue/*",
        )
        self.log_groups = [
            encrypted_log_group(
                self,
                f"GlueLogGroup{index}",
                name=name,
                days=settings.logs.glue_retention_days,
                key=self.key,
            )
            for index, name in enumerate(naming.glue_log_groups)
        ]

        self.security_configuration = glue.SecurityConfiguration(
            self,
            "SecurityConfiguration",
            security_configuration_name=naming.glue_security_configuration,
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(self.key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(self.key),
            s3_encryption=glue.S3Encryption.s3_managed(),
        )
