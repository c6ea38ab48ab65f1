"""The stage's buckets (spec: S3 Buckets): input, output, Glue assets, and their access logs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from shared.config import StageSettings
from shared.constructs.logging import own_provider_log_groups
from shared.constructs.secure_bucket import SecureBucket
from shared.naming import StageNaming
from shared.storage_plan import bucket_plans


class StorageStack(Stack):
    """Input (versioned, expiring, EventBridge on), output (versioned, expiring) and assets
    (unversioned, permanent) buckets, all logging to one access log bucket."""

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
        self.buckets: dict[str, SecureBucket] = {}
        access_logs: SecureBucket | None = None
        for plan in bucket_plans(naming, settings):
            bucket = SecureBucket(
                self,
                f"{plan.role.title().replace('_', '')}Bucket",
                bucket_name=plan.name,
                access_logs_bucket=access_logs if plan.logged else None,
                versioned=plan.versioned,
                expiration_days=plan.expiration_days,
                noncurrent_expiration_days=plan.noncurrent_expiration_days,
                retain=settings.retain_data,
                event_bridge_enabled=plan.event_bridge,
                prefix_expirations=plan.prefix_expirations,
            )
            access_logs = access_logs or bucket
            self.buckets[plan.role] = bucket
        if settings.audit.trail and access_logs is not None:
            self._accept_access_logs_of(access_logs, naming, naming.audit_bucket)
        own_provider_log_groups(self, naming=naming, days=settings.logs.lambda_retention_days)

    @staticmethod
    def _accept_access_logs_of(logs: SecureBucket, naming: StageNaming, source: str) -> None:
        """Let S3 deliver the access logs of a bucket another stack owns (named by the rule)."""
        logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAuditBucketAccessLogs",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[logs.arn_for_objects(f"{source}/*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": naming.bucket_arn(source)},
                    "StringEquals": {"aws:SourceAccount": naming.account},
                },
            )
        )
