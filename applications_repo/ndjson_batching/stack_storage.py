"""ndjson-batching's storage: its three buckets, the tracking table, and the file queue
that the input bucket's "Object Created" events reach through EventBridge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from applications_repo.ndjson_batching.tracking import (
    ARRIVED,
    PARTITION_KEY,
    SORT_KEY,
    STATUS,
    STATUS_INDEX,
)
from shared.application import QueueHandler
from shared.constructs.functions import dead_letter_queue, object_created
from shared.constructs.secure_bucket import SecureBucket
from shared.constructs.tables import recoverable_table
from shared.naming import QUARANTINE_PREFIX

if TYPE_CHECKING:
    from applications_repo.ndjson_batching.infrastructure import NdjsonBatchingStack

EVENT_MAX_AGE = Duration.hours(6)
QUEUE_RETENTION = Duration.days(14)


def buckets(stack: NdjsonBatchingStack) -> tuple[SecureBucket, SecureBucket, SecureBucket]:
    n, names, storage = stack.naming, stack.names, stack.context.settings.storage
    retain = stack.context.settings.retain_data
    access_logs = s3.Bucket.from_bucket_name(stack, "AccessLogsBucket", n.access_logs_bucket)
    common: dict[str, Any] = {
        "access_logs_bucket": access_logs,
        "versioned": True,
        "noncurrent_expiration_days": storage.noncurrent_version_expiration_days,
        "retain": retain,
    }
    input_bucket = SecureBucket(
        stack,
        "InputBucket",
        bucket_name=names.input_bucket,
        expiration_days=stack.own.input_expiration_days,
        event_bridge_enabled=True,
        prefix_expirations=(
            (
                QUARANTINE_PREFIX,
                max(stack.own.input_expiration_days, storage.quarantine_expiration_days),
            ),
        ),
        **common,
    )
    manifest_bucket = SecureBucket(
        stack,
        "ManifestBucket",
        bucket_name=names.manifest_bucket,
        expiration_days=stack.own.manifest_expiration_days,
        event_bridge_enabled=True,
        **common,
    )
    output_bucket = SecureBucket(
        stack,
        "OutputBucket",
        bucket_name=names.output_bucket,
        expiration_days=storage.output_expiration_days,
        **common,
    )
    for bucket in (input_bucket, manifest_bucket, output_bucket):
        Annotations.of(bucket).acknowledge_warning(
            "@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
            "The stage's log bucket (the storage stack's) accepts the server access logs "
            "of every glue-* bucket of its account under the bucket's name.",
        )
    return input_bucket, manifest_bucket, output_bucket


def tracking_table(stack: NdjsonBatchingStack) -> dynamodb.TableV2:
    return recoverable_table(
        stack,
        "TrackingTable",
        table_name=stack.names.tracking_table,
        partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
        global_secondary_indexes=[
            dynamodb.GlobalSecondaryIndexPropsV2(
                index_name=STATUS_INDEX,
                partition_key=dynamodb.Attribute(name=STATUS, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=ARRIVED, type=dynamodb.AttributeType.NUMBER),
            )
        ],
        retain=stack.context.settings.retain_data,
    )


def file_queue(stack: NdjsonBatchingStack, builder: QueueHandler) -> tuple[sqs.Queue, sqs.Queue]:
    dead_letters = dead_letter_queue(
        stack,
        "FilesDeadLetterQueue",
        builder.dead_letter_queue,
        holds=f"the file events {builder.function_name} failed on "
        f"{stack.own.queue_max_receives} times",
    )
    queue = sqs.Queue(
        stack,
        "FilesQueue",
        queue_name=builder.queue,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        visibility_timeout=Duration.seconds(stack.own.queue_visibility_seconds),
        retention_period=Duration.days(14),
        dead_letter_queue=sqs.DeadLetterQueue(
            max_receive_count=stack.own.queue_max_receives, queue=dead_letters
        ),
    )
    rule = events.Rule(
        stack,
        "FileCreatedRule",
        rule_name=stack.names.input_rule,
        description=f"Objects created in {builder.bucket}, outside its quarantine.",
        event_pattern=object_created(builder.bucket, excluded_prefix=QUARANTINE_PREFIX),
    )
    rule.add_target(
        targets.SqsQueue(
            queue, dead_letter_queue=dead_letters, retry_attempts=2, max_event_age=EVENT_MAX_AGE
        )
    )
    return queue, dead_letters
