"""Provisions one stage into the local AWS from the config, the naming module and the
applications' definitions: what the two CDK apps deploy, as far as the local run needs it.

A test compares every name and setting this shares with the synthesized templates, so the two
cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import boto3

from shared.application import (
    IDEMPOTENCY_EXPIRY,
    IDEMPOTENCY_KEY,
    Definition,
    GlueJobDefinition,
    default_arguments,
    scripts_prefix,
)
from shared.bundling import GLUE_LIBRARIES_ZIP, glue_bundle
from shared.config import StageSettings
from shared.local.aws import QUEUING_ATTRIBUTE, LocalAws
from shared.naming import StageNaming
from shared.storage_plan import ABORT_INCOMPLETE_UPLOADS_DAYS, BucketPlan, bucket_plans

SSE_S3 = "AES256"
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600


def provision_stage(
    aws: LocalAws,
    naming: StageNaming,
    settings: StageSettings,
    applications: Sequence[Definition],
) -> None:
    """Create the stage's buckets, catalog database, Glue jobs (with their code in the assets
    bucket) and dead-letter queues."""
    session = aws.session or boto3.session.Session()
    s3, glue, sqs = session.client("s3"), session.client("glue"), session.client("sqs")
    dynamodb = session.client("dynamodb")
    for plan in bucket_plans(naming, settings):
        _create_bucket(s3, plan, naming)
    glue.create_database(DatabaseInput={"Name": naming.database})
    for application in applications:
        for job in application.jobs:
            create_job(aws, s3=s3, glue=glue, naming=naming, settings=settings, job=job)
        for monitor in application.job_state_handlers:
            sqs.create_queue(
                QueueName=monitor.dead_letter_queue,
                Attributes={
                    "MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS),
                    "SqsManagedSseEnabled": "true",
                },
            )
            _create_alerts_topic(session, monitor.alerts_topic)
        for handler in application.handlers:
            _create_idempotency_table(dynamodb, handler.idempotency_table)
            sqs.create_queue(
                QueueName=handler.dead_letter_queue,
                Attributes={
                    "MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS),
                    "SqsManagedSseEnabled": "true",
                },
            )


def _create_bucket(s3, plan: BucketPlan, naming: StageNaming) -> None:
    s3.create_bucket(Bucket=plan.name)
    s3.put_bucket_encryption(
        Bucket=plan.name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": SSE_S3}}]
        },
    )
    s3.put_public_access_block(
        Bucket=plan.name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    if not plan.logged:
        s3.put_bucket_policy(Bucket=plan.name, Policy=json.dumps(_log_delivery_policy(plan.name)))
    if plan.versioned:
        s3.put_bucket_versioning(Bucket=plan.name, VersioningConfiguration={"Status": "Enabled"})
    rule: dict = {
        "ID": "expire-and-clean-up",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
    }
    if plan.expiration_days:
        rule["Expiration"] = {"Days": plan.expiration_days}
    if plan.noncurrent_expiration_days:
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": plan.noncurrent_expiration_days}
    rules = [rule] + [
        {
            "ID": f"expire-{prefix.strip('/')}",
            "Status": "Enabled",
            "Filter": {"Prefix": prefix},
            "Expiration": {"Days": days},
            **(
                {"NoncurrentVersionExpiration": rule["NoncurrentVersionExpiration"]}
                if "NoncurrentVersionExpiration" in rule
                else {}
            ),
        }
        for prefix, days in plan.prefix_expirations
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=plan.name, LifecycleConfiguration={"Rules": rules})
    if plan.event_bridge:
        s3.put_bucket_notification_configuration(
            Bucket=plan.name,
            NotificationConfiguration={"EventBridgeConfiguration": {}},
        )
    if plan.logged:
        s3.put_bucket_logging(
            Bucket=plan.name,
            BucketLoggingStatus={
                "LoggingEnabled": {
                    "TargetBucket": naming.access_logs_bucket,
                    "TargetPrefix": f"{plan.name}/",
                }
            },
        )


def alerts_inbox(topic: str) -> str:
    """The local queue subscribed to an alerts topic, standing in for the operators' mail."""
    return f"{topic}-inbox"


def _create_alerts_topic(session, topic: str) -> None:
    sns, sqs = session.client("sns"), session.client("sqs")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=alerts_inbox(topic))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "false"},
    )


def _create_idempotency_table(dynamodb, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": IDEMPOTENCY_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": IDEMPOTENCY_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": IDEMPOTENCY_EXPIRY},
    )


def _log_delivery_policy(bucket: str) -> dict:
    """What lets S3 deliver server access logs into the access-log bucket."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def create_job(
    aws: LocalAws,
    *,
    s3,
    glue,
    naming: StageNaming,
    settings: StageSettings,
    job: GlueJobDefinition,
) -> None:
    """Create one Glue job as its application defines it, its code in the assets bucket."""
    prefix = scripts_prefix(job.name)
    bundle = glue_bundle(job.name, job.script, job.packages)
    for path in sorted(bundle.iterdir()):
        s3.upload_file(str(path), naming.assets_bucket, f"{prefix}{path.name}")
    glue_settings = settings.glue
    arguments = default_arguments(naming, glue_settings, job)
    arguments["--extra-py-files"] = f"s3://{naming.assets_bucket}/{prefix}{GLUE_LIBRARIES_ZIP}"
    glue.create_job(
        Name=job.name,
        Description=job.description,
        Role=naming.role_arn(naming.glue_service_role),
        Command={
            "Name": "glueetl",
            "PythonVersion": "3",
            "ScriptLocation": f"s3://{naming.assets_bucket}/{prefix}{job.script.name}",
        },
        DefaultArguments=arguments,
        GlueVersion=glue_settings.version,
        WorkerType=glue_settings.worker_type,
        NumberOfWorkers=glue_settings.max_workers,
        Timeout=glue_settings.timeout_minutes,
        MaxRetries=glue_settings.max_retries,
        ExecutionProperty={"MaxConcurrentRuns": glue_settings.max_concurrent_runs},
        SecurityConfiguration=naming.glue_security_configuration,
    )
    setattr(aws.glue_job(job.name), QUEUING_ATTRIBUTE, glue_settings.run_queuing)
