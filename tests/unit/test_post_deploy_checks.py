"""The post-deploy bucket checks pass on buckets configured as the config says, and name each
difference otherwise (run here against moto, after a deployment against AWS)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from shared.config import StageName, load_config
from shared.naming import StageNaming
from tests.post_deploy.checks import bucket_problems, expected_buckets


@pytest.fixture
def s3():
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


def create_as_configured(s3, naming, settings) -> None:
    for bucket in expected_buckets(naming, settings):
        s3.create_bucket(Bucket=bucket.name)
        s3.put_bucket_encryption(
            Bucket=bucket.name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_public_access_block(
            Bucket=bucket.name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        if bucket.versioned:
            s3.put_bucket_versioning(
                Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"}
            )
        if bucket.expiration_days:
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket.name,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": "expire",
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "Expiration": {"Days": bucket.expiration_days},
                        }
                    ]
                },
            )


@pytest.fixture
def stage():
    config = load_config(environ={})
    return StageNaming.of(config, StageName.DEV), config.stages.dev


def test_buckets_as_configured_pass(s3, stage):
    naming, settings = stage
    create_as_configured(s3, naming, settings)
    assert bucket_problems(s3, naming, settings) == []


def test_each_difference_is_named(s3, stage):
    naming, settings = stage
    create_as_configured(s3, naming, settings)
    s3.put_bucket_versioning(
        Bucket=naming.output_bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    s3.delete_bucket_lifecycle(Bucket=naming.input_bucket)
    s3.delete_bucket(Bucket=naming.assets_bucket)
    problems = bucket_problems(s3, naming, settings)
    assert f"{naming.output_bucket}: versioning is Suspended, expected Enabled" in problems
    assert any(p.startswith(f"{naming.input_bucket}: ") and "expected 30" in p for p in problems)
    assert any(p.startswith(f"{naming.assets_bucket}: cannot read") for p in problems)
