"""The stage's buckets (spec: S3 Buckets): input, output, Glue assets, and their access logs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from shared.config import StageSettings
from shared.constructs.secure_bucket import SecureBucket
from shared.naming import StageNaming


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
        storage = settings.storage
        retain = settings.retain_data

        self.access_logs_bucket = SecureBucket(
            self,
            "AccessLogsBucket",
            bucket_name=naming.access_logs_bucket,
            access_logs_bucket=None,
            versioned=False,
            expiration_days=storage.access_logs_expiration_days,
            retain=retain,
        )
        self.input_bucket = SecureBucket(
            self,
            "InputBucket",
            bucket_name=naming.input_bucket,
            access_logs_bucket=self.access_logs_bucket,
            versioned=True,
            expiration_days=storage.input_expiration_days,
            noncurrent_expiration_days=storage.noncurrent_version_expiration_days,
            retain=retain,
            event_bridge_enabled=True,
        )
        self.output_bucket = SecureBucket(
            self,
            "OutputBucket",
            bucket_name=naming.output_bucket,
            access_logs_bucket=self.access_logs_bucket,
            versioned=True,
            expiration_days=storage.output_expiration_days,
            noncurrent_expiration_days=storage.noncurrent_version_expiration_days,
            retain=retain,
        )
        self.assets_bucket = SecureBucket(
            self,
            "AssetsBucket",
            bucket_name=naming.assets_bucket,
            access_logs_bucket=self.access_logs_bucket,
            versioned=False,
            expiration_days=None,
            retain=retain,
        )
