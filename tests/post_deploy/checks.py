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
            if rule.get("Status") == "Enabled"
            and "Days" in rule.get("Expiration", {})
            and not rule.get("Filter", {}).get("Prefix", rule.get("Prefix", ""))
        }
        if days != {bucket.expiration_days}:
            problems.append(
                f"{name}: objects expire after {sorted(days) or 'never'} days, "
                f"expected {bucket.expiration_days}"
            )
    return problems


TERMINAL_RUN_STATES = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})


def find_run(glue_client, job_name: str, argument: str, value: str) -> dict | None:
    """The newest run of ``job_name`` started with ``--argument value``."""
    pages = glue_client.get_paginator("get_job_runs").paginate(JobName=job_name)
    runs = [
        run
        for page in pages
        for run in page["JobRuns"]
        if run.get("Arguments", {}).get(f"--{argument}") == value
    ]
    return max(runs, key=lambda run: run["StartedOn"]) if runs else None


def wait_for_run(
    glue_client,
    job_name: str,
    *,
    argument: str,
    value: str,
    timeout_seconds: float,
    poll_seconds: float = 5.0,
) -> dict:
    """Wait until the run started with ``--argument value`` ends; returns it.

    Raises:
        AssertionError: when no such run ends within ``timeout_seconds``.
    """
    import time  # noqa: PLC0415

    deadline = time.monotonic() + timeout_seconds
    run = None
    while time.monotonic() < deadline:
        run = find_run(glue_client, job_name, argument, value)
        if run and run["JobRunState"] in TERMINAL_RUN_STATES:
            return run
        time.sleep(poll_seconds)
    state = run["JobRunState"] if run else "never started"
    raise AssertionError(
        f"{job_name} run for --{argument} {value}: {state} after {timeout_seconds}s"
    )


def wait_for_object(
    s3_client, bucket: str, key: str, *, timeout_seconds: float, poll_seconds: float = 5.0
) -> bytes:
    """The object's body, once it exists.

    Raises:
        AssertionError: when it does not appear within ``timeout_seconds``.
    """
    import time  # noqa: PLC0415

    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3_client.exceptions.NoSuchKey:
            time.sleep(poll_seconds)
    raise AssertionError(f"s3://{bucket}/{key} did not appear within {timeout_seconds}s")


def parquet_row_count(s3_client, bucket: str, prefix: str, name_prefix: str = "") -> int:
    """Rows in the Parquet files under ``prefix`` whose names start with ``name_prefix``."""
    import io  # noqa: PLC0415

    import pyarrow.parquet as pq  # noqa: PLC0415

    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [
        item["Key"]
        for page in pages
        for item in page.get("Contents", [])
        if item["Key"].endswith(".parquet")
        and item["Key"].rsplit("/", 1)[-1].startswith(name_prefix)
    ]
    return sum(
        pq.ParquetFile(
            io.BytesIO(s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
        ).metadata.num_rows
        for key in keys
    )
