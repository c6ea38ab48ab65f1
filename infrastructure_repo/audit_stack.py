"""The stage account's API audit trail (spec: Security, "CloudTrail logging for all API calls")."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.config import StageSettings
from shared.constructs.logging import KEY_DELETION_WAITING_DAYS
from shared.constructs.secure_bucket import SecureBucket
from shared.naming import StageNaming

CLOUDTRAIL = "cloudtrail.amazonaws.com"


class AuditStack(Stack):
    """A multi-region trail of every management API call of the account, with log file
    validation, encrypted with its own rotating key, into a bucket that is always retained and
    sends its server access logs to the stage's access-log bucket."""

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
        trail_arn = (
            f"arn:{naming.partition}:cloudtrail:{naming.region}:{naming.account}:"
            f"trail/{naming.audit_trail}"
        )
        self.key = kms.Key(
            self,
            "TrailKey",
            alias=naming.audit_key_alias,
            description=f"Encrypts the API audit trail of the {naming.stage} account.",
            enable_key_rotation=True,
            pending_window=Duration.days(KEY_DELETION_WAITING_DAYS),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisTrailToEncrypt",
                principals=[iam.ServicePrincipal(CLOUDTRAIL)],
                actions=["kms:GenerateDataKey*", "kms:DescribeKey"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{naming.partition}:cloudtrail:*:{naming.account}:trail/*"
                        )
                    },
                },
            )
        )
        self.bucket = SecureBucket(
            self,
            "TrailBucket",
            bucket_name=naming.audit_bucket,
            access_logs_bucket=s3.Bucket.from_bucket_name(
                self, "AccessLogsBucket", naming.access_logs_bucket
            ),
            versioned=True,
            expiration_days=settings.audit.log_expiration_days,
            noncurrent_expiration_days=settings.storage.noncurrent_version_expiration_days,
            retain=True,
            event_bridge_enabled=False,
        )
        this_trail = {"StringEquals": {"aws:SourceArn": trail_arn}}
        trail_service = iam.ServicePrincipal(CLOUDTRAIL)
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisTrailToCheckTheAcl",
                principals=[trail_service],
                actions=["s3:GetBucketAcl"],
                resources=[self.bucket.bucket_arn],
                conditions=this_trail,
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisTrailToWrite",
                principals=[trail_service],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"AWSLogs/{naming.account}/*")],
                conditions={
                    "StringEquals": {
                        "aws:SourceArn": trail_arn,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    }
                },
            )
        )
        # The L1 resource: the L2 Trail adds bucket-policy statements without a source
        # condition, which any account's trail could use (confused deputy).
        self.trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=naming.audit_trail,
            s3_bucket_name=self.bucket.bucket_name,
            kms_key_id=self.key.key_arn,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            event_selectors=[
                cloudtrail.CfnTrail.EventSelectorProperty(
                    read_write_type="All", include_management_events=True
                )
            ],
        )
        if self.bucket.policy is not None:
            self.trail.node.add_dependency(self.bucket.policy)
