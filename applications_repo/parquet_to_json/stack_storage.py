"""parquet-to-json's storage: the source and output buckets and the metadata table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3

from applications_repo.parquet_to_json import metadata
from applications_repo.parquet_to_json.job.spark_engine import STAGING
from shared.constructs.secure_bucket import SecureBucket
from shared.constructs.tables import recoverable_table
from shared.naming import QUARANTINE_PREFIX

if TYPE_CHECKING:
    from applications_repo.parquet_to_json.infrastructure import ParquetToJsonStack

STAGING_EXPIRATION_DAYS = 1


def buckets(stack: ParquetToJsonStack) -> tuple[SecureBucket, SecureBucket]:
    n, names, storage = stack.naming, stack.names, stack.context.settings.storage
    access_logs = s3.Bucket.from_bucket_name(stack, "AccessLogsBucket", n.access_logs_bucket)
    common: dict[str, Any] = {
        "access_logs_bucket": access_logs,
        "versioned": True,
        "noncurrent_expiration_days": storage.noncurrent_version_expiration_days,
        "retain": stack.context.settings.retain_data,
    }
    source = SecureBucket(
        stack,
        "SourceBucket",
        bucket_name=names.source_bucket,
        expiration_days=storage.input_expiration_days,
        event_bridge_enabled=True,
        prefix_expirations=((QUARANTINE_PREFIX, storage.quarantine_expiration_days),),
        **common,
    )
    output = SecureBucket(
        stack,
        "OutputBucket",
        bucket_name=names.output_bucket,
        expiration_days=storage.output_expiration_days,
        prefix_expirations=((f"{STAGING}/", STAGING_EXPIRATION_DAYS),),
        **common,
    )
    for bucket in (source, output):
        Annotations.of(bucket).acknowledge_warning(
            "@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
            "The stage's log bucket (the storage stack's) accepts the server access logs "
            "of every glue-* bucket of its account under the bucket's name.",
        )
    return source, output


def metadata_table(stack: ParquetToJsonStack) -> dynamodb.TableV2:
    def index(name: str, partition: str) -> dynamodb.GlobalSecondaryIndexPropsV2:
        string = dynamodb.AttributeType.STRING
        return dynamodb.GlobalSecondaryIndexPropsV2(
            index_name=name,
            partition_key=dynamodb.Attribute(name=partition, type=string),
            sort_key=dynamodb.Attribute(name=metadata.CREATED, type=string),
        )

    return recoverable_table(
        stack,
        "MetadataTable",
        table_name=stack.names.metadata_table,
        partition_key=dynamodb.Attribute(name=metadata.FILE_ID, type=dynamodb.AttributeType.STRING),
        global_secondary_indexes=[
            index(metadata.STATUS_INDEX, metadata.STATUS),
            index(metadata.SOURCE_INDEX, metadata.SOURCE),
        ],
        retain=stack.context.settings.retain_data,
    )
