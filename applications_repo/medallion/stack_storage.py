"""medallion's storage: the three layers' buckets and the query results bucket, the
checkpoints table, the API's secret and the notifications topic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns

from applications_repo.medallion.checkpoints import RUN_DATE
from applications_repo.medallion.layers import CURATED_PREFIX, STAGING_PREFIX
from shared.compliance import acknowledge
from shared.constructs.secure_bucket import SecureBucket
from shared.constructs.tables import recoverable_table

if TYPE_CHECKING:
    from applications_repo.medallion.infrastructure import MedallionStack

STAGING_EXPIRATION_DAYS = 1
RESULTS_EXPIRATION_DAYS = 30


def buckets(stack: MedallionStack) -> dict[str, SecureBucket]:
    """``bronze``, ``silver``, ``gold`` and ``results``."""
    n, names, own = stack.naming, stack.names, stack.own
    storage = stack.context.settings.storage
    access_logs = s3.Bucket.from_bucket_name(stack, "AccessLogsBucket", n.access_logs_bucket)
    common: dict[str, Any] = {
        "access_logs_bucket": access_logs,
        "versioned": True,
        "noncurrent_expiration_days": storage.noncurrent_version_expiration_days,
        "retain": stack.context.settings.retain_data,
    }
    made = {
        "bronze": SecureBucket(
            stack,
            "BronzeBucket",
            bucket_name=names.bronze_bucket,
            expiration_days=own.raw_expiration_days,
            **common,
        ),
        "silver": SecureBucket(
            stack,
            "SilverBucket",
            bucket_name=names.silver_bucket,
            expiration_days=own.processed_expiration_days,
            prefix_expirations=(("_staging/", STAGING_EXPIRATION_DAYS),),
            **common,
        ),
        "gold": SecureBucket(
            stack,
            "GoldBucket",
            bucket_name=names.gold_bucket,
            expiration_days=None,
            prefix_expirations=((STAGING_PREFIX, STAGING_EXPIRATION_DAYS),),
            **common,
        ),
        "results": SecureBucket(
            stack,
            "QueryResultsBucket",
            bucket_name=names.query_results_bucket,
            expiration_days=RESULTS_EXPIRATION_DAYS,
            **common,
        ),
    }
    made["gold"].add_lifecycle_rule(
        id="CuratedToIntelligentTiering",
        prefix=CURATED_PREFIX,
        transitions=[
            s3.Transition(
                storage_class=s3.StorageClass.INTELLIGENT_TIERING,
                transition_after=Duration.days(own.curated_tiering_days),
            )
        ],
    )
    for bucket in made.values():
        Annotations.of(bucket).acknowledge_warning(
            "@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
            "The stage's log bucket (the storage stack's) accepts the server access logs "
            "of every glue-* bucket of its account under the bucket's name.",
        )
    return made


def checkpoints_table(stack: MedallionStack) -> dynamodb.TableV2:
    return recoverable_table(
        stack,
        "CheckpointsTable",
        table_name=stack.names.checkpoints_table,
        partition_key=dynamodb.Attribute(name=RUN_DATE, type=dynamodb.AttributeType.STRING),
        retain=stack.context.settings.retain_data,
    )


def api_secret(stack: MedallionStack, key: kms.IKey) -> secretsmanager.Secret:
    """The API's connection (``{"url", "api_key"}``): created with a placeholder key, set by
    an operator (docs/medallion.md)."""
    secret = secretsmanager.Secret(
        stack,
        "ApiSecret",
        secret_name=stack.names.api_secret,
        description="The orders API's URL and key, read by the medallion ingestion.",
        encryption_key=key,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            secret_string_template='{"url": "https://api.example.com"}',
            generate_string_key="api_key",
            exclude_punctuation=True,
        ),
    )
    acknowledge(
        secret,
        "SMG4",
        "The key is issued by the external API's provider and rotated there; an operator "
        "puts the new key in the secret (docs/medallion.md), which Secrets Manager cannot do.",
    )
    return secret


def notifications_topic(stack: MedallionStack, key: kms.IKey) -> sns.Topic:
    return sns.Topic(
        stack,
        "NotificationsTopic",
        topic_name=stack.names.notifications_topic,
        display_name="medallion pipeline runs",
        master_key=key,
        enforce_ssl=True,
    )
