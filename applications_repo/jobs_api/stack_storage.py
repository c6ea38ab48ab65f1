"""jobs-api's storage: the input bucket (uploads, by pre-signed POST from the allowed
origins), the output bucket (JSON, by pre-signed GET), the jobs table and the idempotency
table of ``POST /trigger-job``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3

from applications_repo.jobs_api import jobs
from applications_repo.parquet_to_json import metadata
from applications_repo.parquet_to_json.job.spark_engine import STAGING
from shared.application import IDEMPOTENCY_EXPIRY, IDEMPOTENCY_KEY
from shared.constructs.secure_bucket import SecureBucket
from shared.constructs.tables import recoverable_table

if TYPE_CHECKING:
    from applications_repo.jobs_api.infrastructure import JobsApiStack

STAGING_EXPIRATION_DAYS = 1
CORS_MAX_AGE_SECONDS = 600


def buckets(stack: JobsApiStack) -> tuple[SecureBucket, SecureBucket]:
    n, names, own = stack.naming, stack.names, stack.own
    storage = stack.context.settings.storage
    access_logs = s3.Bucket.from_bucket_name(stack, "AccessLogsBucket", n.access_logs_bucket)
    common: dict[str, Any] = {
        "access_logs_bucket": access_logs,
        "versioned": True,
        "noncurrent_expiration_days": storage.noncurrent_version_expiration_days,
        "retain": stack.context.settings.retain_data,
    }
    uploads = SecureBucket(
        stack,
        "InputBucket",
        bucket_name=names.input_bucket,
        expiration_days=own.input_expiration_days,
        event_bridge_enabled=True,
        **common,
    )
    uploads.add_cors_rule(
        allowed_methods=[s3.HttpMethods.POST],
        allowed_origins=list(own.origins),
        allowed_headers=["*"],
        max_age=CORS_MAX_AGE_SECONDS,
    )
    outputs = SecureBucket(
        stack,
        "OutputBucket",
        bucket_name=names.output_bucket,
        expiration_days=own.output_expiration_days,
        prefix_expirations=((f"{STAGING}/", STAGING_EXPIRATION_DAYS),),
        **common,
    )
    outputs.add_cors_rule(
        allowed_methods=[s3.HttpMethods.GET],
        allowed_origins=list(own.origins),
        allowed_headers=["*"],
        max_age=CORS_MAX_AGE_SECONDS,
    )
    for bucket in (uploads, outputs):
        Annotations.of(bucket).acknowledge_warning(
            "@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
            "The stage's log bucket (the storage stack's) accepts the server access logs "
            "of every glue-* bucket of its account under the bucket's name.",
        )
    return uploads, outputs


def _table(stack: JobsApiStack, construct_id: str, **table: Any) -> dynamodb.TableV2:
    return recoverable_table(
        stack, construct_id, retain=stack.context.settings.retain_data, **table
    )


def jobs_table(stack: JobsApiStack) -> dynamodb.TableV2:
    """Keyed by job id; indexes by status, by source (the conversion's) and of every job,
    each sorted by creation time."""
    string = dynamodb.AttributeType.STRING

    def index(name: str, partition: str) -> dynamodb.GlobalSecondaryIndexPropsV2:
        return dynamodb.GlobalSecondaryIndexPropsV2(
            index_name=name,
            partition_key=dynamodb.Attribute(name=partition, type=string),
            sort_key=dynamodb.Attribute(name=metadata.CREATED, type=string),
        )

    return _table(
        stack,
        "JobsTable",
        table_name=stack.names.jobs_table,
        partition_key=dynamodb.Attribute(name=metadata.FILE_ID, type=string),
        global_secondary_indexes=[
            index(metadata.STATUS_INDEX, metadata.STATUS),
            index(metadata.SOURCE_INDEX, metadata.SOURCE),
            index(jobs.LISTED_INDEX, jobs.LISTED),
        ],
    )


def idempotency_table(stack: JobsApiStack) -> dynamodb.TableV2:
    """Powertools' idempotency records of ``POST /trigger-job``, expiring by TTL."""
    return _table(
        stack,
        "IdempotencyTable",
        table_name=stack.names.idempotency_table,
        partition_key=dynamodb.Attribute(name=IDEMPOTENCY_KEY, type=dynamodb.AttributeType.STRING),
        time_to_live_attribute=IDEMPOTENCY_EXPIRY,
    )
