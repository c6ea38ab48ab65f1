"""The stage's buckets (spec: S3 Buckets): input, output, Glue assets, and their access logs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
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
            access_logs.accept_access_logs(
                sid="AllowAuditBucketAccessLogs",
                source_arn=naming.bucket_arn(naming.audit_bucket),
                prefix=f"{naming.audit_bucket}/",
                account=naming.account,
            )
        if access_logs is not None:
            # applications' own buckets (named by the naming rule: glue-*-{stage}-{account})
            # log into the stage's log bucket too, each under its own name as prefix (which a
            # delivery's source condition, not the resource, pins: S3 matches either)
            access_logs.accept_access_logs(
                sid="AllowApplicationBucketAccessLogs",
                source_arn=naming.bucket_arn(naming.bucket("glue-*")),
                prefix="",
                account=naming.account,
            )
        own_provider_log_groups(self, naming=naming, days=settings.logs.lambda_retention_days)
