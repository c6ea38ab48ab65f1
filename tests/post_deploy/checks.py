"""What a deployed stage must look like, checked through the AWS API of any endpoint.

The same functions run after a deployment (as GlueTestRole, from the pipeline), by hand
against any stage, and in the unit tests against moto. Each returns the problems it found, one
readable line each; an empty list means the stage is as configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from shared.config import StageSettings
from shared.naming import StageNaming

SSE_S3 = "AES256"
PUBLIC_ACCESS_BLOCK_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


@dataclass(frozen=True)
class ExpectedBucket:
    """How one bucket of the stage is configured."""

    name: str
    versioned: bool
    expiration_days: int | None


def expected_buckets(naming: StageNaming, settings: StageSettings) -> list[ExpectedBucket]:
    """The stage's data buckets as the config describes them (spec: S3 Buckets)."""
    storage = settings.storage
    return [
        ExpectedBucket(naming.input_bucket, True, storage.input_expiration_days),
        ExpectedBucket(naming.output_bucket, True, storage.output_expiration_days),
        ExpectedBucket(naming.assets_bucket, False, None),
    ]


def bucket_problems(s3_client, naming: StageNaming, settings: StageSettings) -> list[str]:
    """Differences between the stage's buckets and their configuration."""
    problems: list[str] = []
    for bucket in expected_buckets(naming, settings):
        problems += _one_bucket_problems(s3_client, bucket)
    return problems


def _one_bucket_problems(s3_client, bucket: ExpectedBucket) -> list[str]:
    name = bucket.name
    try:
        encryption = s3_client.get_bucket_encryption(Bucket=name)
    except ClientError as error:
        return [f"{name}: cannot read its encryption: {error.response['Error']['Code']}"]
    problems = []
    algorithms = {
        rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        for rule in encryption["ServerSideEncryptionConfiguration"]["Rules"]
    }
    if algorithms != {SSE_S3}:
        problems.append(f"{name}: encryption is {sorted(algorithms)}, expected SSE-S3 ({SSE_S3})")

    status = s3_client.get_bucket_versioning(Bucket=name).get("Status", "Disabled")
    if bucket.versioned and status != "Enabled":
        problems.append(f"{name}: versioning is {status}, expected Enabled")
    if not bucket.versioned and status == "Enabled":
        problems.append(f"{name}: versioning is Enabled, expected it off")

    try:
        block = s3_client.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        block = {}
        if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
            raise
    open_flags = [flag for flag in PUBLIC_ACCESS_BLOCK_FLAGS if not block.get(flag)]
    if open_flags:
        problems.append(f"{name}: public access not blocked: {', '.join(open_flags)} off")

    if bucket.expiration_days is not None:
        try:
            rules = s3_client.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchLifecycleConfiguration":
                raise
            rules = []
        days = {
            rule["Expiration"]["Days"]
            for rule in rules
            if rule.get("Status") == "Enabled" and "Days" in rule.get("Expiration", {})
        }
        if days != {bucket.expiration_days}:
            problems.append(
                f"{name}: objects expire after {sorted(days) or 'never'} days, "
                f"expected {bucket.expiration_days}"
            )
    return problems
