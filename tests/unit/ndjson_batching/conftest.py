"""ndjson-batching's buckets, tables and job in moto, as its stack makes them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from applications_repo.ndjson_batching.definition import batch_environment
from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.runtime import builder, starter, state_manager
from applications_repo.ndjson_batching.settings import NdjsonBatchingSettings
from applications_repo.ndjson_batching.tracking import (
    ARRIVED,
    PARTITION_KEY,
    SORT_KEY,
    STATUS,
    STATUS_INDEX,
    TrackingTable,
)
from applications_repo.ndjson_batching.validation import FileRules
from shared.config import StageName, load_config
from shared.local.events import object_created_event
from shared.local.function_code import LambdaContext
from shared.naming import StageNaming

NAMING = StageNaming.of(load_config(environ={}), StageName.DEV)
NAMES = NdjsonNames(NAMING)
SETTINGS = NdjsonBatchingSettings(min_file_bytes=10, files_per_manifest=3, batch_max_age_seconds=60)


def create_tracking_table(dynamodb: Any, name: str) -> None:
    """The tracking table as the stack declares it."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "S"},
            {"AttributeName": STATUS, "AttributeType": "S"},
            {"AttributeName": ARRIVED, "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": STATUS, "KeyType": "HASH"},
                    {"AttributeName": ARRIVED, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass
class Stage:
    """The clients and settings of one test's stage."""

    s3: Any
    glue: Any
    sns: Any
    tracking: TrackingTable
    environment: dict[str, str]
    topic_arn: str

    def state_clients(self) -> state_manager.Clients:
        return state_manager.Clients(self.s3, self.glue, self.sns, self.tracking)

    def state_config(self, files: FileRules | None = None) -> state_manager.StateConfig:
        """The state manager's config, with other file rules if given."""
        config = state_manager.StateConfig.from_environ(self.environment)
        if files is None:
            return config
        return replace(config, batch=replace(config.batch, files=files))

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        """Upload ``body``; its "Object Created" event."""
        put = self.s3.put_object(Bucket=NAMES.input_bucket, Key=key, Body=body)
        return object_created_event(
            bucket=NAMES.input_bucket,
            key=key,
            size=len(body),
            version_id=put.get("VersionId"),
            etag=put["ETag"].strip('"'),
            account=NAMING.account,
            region=NAMING.region,
        )


def ndjson(rows: int, start: int = 0, **extra: Any) -> bytes:
    """``rows`` JSON objects, one per line."""
    return "".join(
        json.dumps({"id": start + i, "name": f"row {start + i}", **extra}) + "\n"
        for i in range(rows)
    ).encode()


@pytest.fixture
def stage(monkeypatch) -> Iterator[Stage]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMING.region)
    for variable in ("GDP_CLOCK_SPEED", "GDP_CLOCK_ORIGIN"):
        monkeypatch.delenv(variable, raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=NAMING.region)
        for bucket in (NAMES.input_bucket, NAMES.manifest_bucket, NAMES.output_bucket):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb", region_name=NAMING.region)
        create_tracking_table(dynamodb, NAMES.tracking_table)
        dynamodb.create_table(
            TableName=NAMES.starter_idempotency_table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        glue = boto3.client("glue", region_name=NAMING.region)
        glue.create_job(
            Name=NAMES.job,
            Role=NAMING.role_arn(NAMING.glue_service_role),
            Command={"Name": "glueetl", "ScriptLocation": "s3://assets/script.py"},
            ExecutionProperty={"MaxConcurrentRuns": 10},
        )
        sns = boto3.client("sns", region_name=NAMING.region)
        topic_arn = sns.create_topic(Name=NAMING.alerts_topic)["TopicArn"]
        table = boto3.resource("dynamodb", region_name=NAMING.region).Table(NAMES.tracking_table)
        environment = {
            **batch_environment(NAMING, SETTINGS),
            "QUEUE": NAMES.queue,
            "JOB_NAME": NAMES.job,
            "ALERTS_TOPIC_ARN": topic_arn,
            "STUCK_AFTER_MINUTES": "120",
            "IDEMPOTENCY_TABLE": NAMES.starter_idempotency_table,
            "IDEMPOTENCY_SECONDS": "3600",
        }
        builder.clients.cache_clear()
        starter.idempotent.cache_clear()
        starter.glue_client.cache_clear()
        yield Stage(s3, glue, sns, TrackingTable(table), environment, topic_arn)
    builder.metrics.clear_metrics()
    state_manager.metrics.clear_metrics()


def lambda_context(function: str) -> LambdaContext:
    """The context Lambda would pass ``function``."""
    return LambdaContext(
        function_name=function,
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn=f"arn:aws:lambda:{NAMING.region}:{NAMING.account}:function:{function}",
        memory_limit_in_mb=256,
        deadline=time.monotonic() + 300,
        log_group_name=NAMES.log_group(function),
    )
