"""An S3 bucket that is encrypted, TLS-only, never public and logged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.compliance import acknowledge
from shared.storage_plan import ABORT_INCOMPLETE_UPLOADS_DAYS


class SecureBucket(s3.Bucket):
    """A bucket with secure defaults: SSE-S3 (AES-256), TLS 1.2+ only, public access blocked,
    ACLs disabled, server access logs to ``access_logs_bucket``, incomplete multipart uploads
    aborted after a week.

    Args:
        bucket_name: the physical name (from the naming module).
        access_logs_bucket: where server access logs go; ``None`` only for the log bucket itself.
        versioned: keep every version of every object.
        expiration_days: delete current objects after this many days; ``None`` keeps them.
        noncurrent_expiration_days: delete superseded versions after this many days.
        retain: keep the bucket and its data when the stack is deleted; otherwise the bucket
            is emptied and deleted with it.
        event_bridge_enabled: send object events to EventBridge.
        prefix_expirations: (prefix, days) for objects under a prefix that expire sooner.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        access_logs_bucket: s3.IBucket | None,
        versioned: bool,
        expiration_days: int | None,
        noncurrent_expiration_days: int | None = None,
        retain: bool,
        event_bridge_enabled: bool = False,
        prefix_expirations: Sequence[tuple[str, int]] = (),
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=f"{bucket_name}/" if access_logs_bucket else None,
            lifecycle_rules=_lifecycle_rules(
                versioned, expiration_days, noncurrent_expiration_days, prefix_expirations
            ),
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            auto_delete_objects=not retain,
        )
        if event_bridge_enabled:
            # Set on the CloudFormation resource directly: the L2 property deploys a custom
            # resource Lambda just to switch this on.
            cfn_bucket = cast(s3.CfnBucket, self.node.default_child)
            cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                    event_bridge_enabled=True
                )
            )
        if access_logs_bucket is None:
            acknowledge(
                self,
                "S1",
                "This is the server access log bucket: logging it into itself would create a "
                "loop of log records; it receives only S3's own log deliveries.",
            )

    def accept_access_logs(self, *, sid: str, source_arn: str, prefix: str, account: str) -> None:
        """Let S3 deliver the server access logs of the bucket ``source_arn`` (of ``account``)
        under ``prefix``: for a source CDK does not wire itself (another stack's bucket, or a
        bucket CDK Pipelines creates)."""
        self.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.arn_for_objects(f"{prefix}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": source_arn},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            )
        )


def _lifecycle_rules(
    versioned: bool,
    expiration_days: int | None,
    noncurrent_expiration_days: int | None,
    prefix_expirations: Sequence[tuple[str, int]],
) -> list[s3.LifecycleRule]:
    noncurrent = (
        Duration.days(noncurrent_expiration_days)
        if versioned and noncurrent_expiration_days
        else None
    )
    prefixed = [
        s3.LifecycleRule(
            id=f"expire-{prefix.strip('/')}",
            prefix=prefix,
            expiration=Duration.days(days),
            noncurrent_version_expiration=noncurrent,
        )
        for prefix, days in prefix_expirations
    ]
    rule = s3.LifecycleRule(
        id="expire-and-clean-up",
        abort_incomplete_multipart_upload_after=Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
        expiration=Duration.days(expiration_days) if expiration_days else None,
        noncurrent_version_expiration=noncurrent,
    )
    return [rule, *prefixed]
