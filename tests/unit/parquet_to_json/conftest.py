"""parquet-to-json's buckets, metadata table, job and single-node function in moto, as its
stack makes them, and the orchestrator and sweeper configured as the definition does."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from applications_repo.parquet_to_json.definition import definition
from applications_repo.parquet_to_json.metadata import (
    CREATED,
    FILE_ID,
    SOURCE,
    SOURCE_INDEX,
    STATUS,
    STATUS_INDEX,
    MetadataTable,
)
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.runtime import orchestrator, sweeper
from applications_repo.parquet_to_json.settings import ParquetToJsonSettings
from applications_repo.parquet_to_json.taxi_data import Shape, trips
from shared.config import StageName, load_config
from shared.local.events import object_created_event
from shared.local.function_code import LambdaContext
from shared.naming import StageNaming

NAMING = StageNaming.of(load_config(environ={}), StageName.DEV)
NAMES = ParquetToJsonNames(NAMING)
SETTINGS = ParquetToJsonSettings(single_node_max_mb=1)
DEFINITION = definition(NAMING, SETTINGS)
[ORCHESTRATOR] = DEFINITION.handlers
[SWEEPER] = DEFINITION.functions
ORCHESTRATOR_CONFIG = orchestrator.OrchestratorConfig.from_environ(ORCHESTRATOR.environment)
SWEEPER_CONFIG = sweeper.SweeperConfig.from_environ(SWEEPER.environment)


def create_metadata_table(dynamodb: Any, name: str) -> None:
    """The metadata table as the stack declares it."""

    def index(index_name: str, partition: str) -> dict[str, Any]:
        return {
            "IndexName": index_name,
            "KeySchema": [
                {"AttributeName": partition, "KeyType": "HASH"},
                {"AttributeName": CREATED, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }

    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": FILE_ID, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": name_, "AttributeType": "S"}
            for name_ in (FILE_ID, STATUS, SOURCE, CREATED)
        ],
        GlobalSecondaryIndexes=[index(STATUS_INDEX, STATUS), index(SOURCE_INDEX, SOURCE)],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass
class Stage:
    """The clients of the moto stage, and what the tests read back."""

    s3: Any
    glue: Any
    lambda_: Any
    table: MetadataTable
    invoked: list[dict[str, Any]]

    @property
    def orchestrator(self) -> orchestrator.Clients:
        return orchestrator.Clients(self.s3, self.glue, self.lambda_, self.table)

    @property
    def sweeper(self) -> sweeper.Clients:
        return sweeper.Clients(self.glue, self.lambda_, self.table)

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        """Upload ``body`` and return the upload's event."""
        put = self.s3.put_object(Bucket=NAMES.source_bucket, Key=key, Body=body)
        return object_created_event(
            bucket=NAMES.source_bucket, key=key, size=len(body), version_id=put["VersionId"]
        )

    def glue_runs(self) -> list[dict[str, Any]]:
        return self.glue.get_job_runs(JobName=NAMES.job)["JobRuns"]

    def single_node_runs(self) -> list[dict[str, Any]]:
        return [json.loads(call["Payload"]) for call in self.invoked]


def lambda_context(function: str) -> LambdaContext:
    """The context Lambda passes to ``function``."""
    return LambdaContext(
        function_name=function,
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn=f"arn:aws:lambda:{NAMING.region}:{NAMING.account}:function:{function}",
        memory_limit_in_mb=256,
        deadline=time.monotonic() + 300,
        log_group_name=NAMES.log_group(function),
    )


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@pytest.fixture(scope="session")
def taxi_file() -> bytes:
    """A small valid yellow-taxi Parquet file."""
    return parquet_bytes(trips(Shape(200, seed=7)))


@pytest.fixture
def stage(monkeypatch) -> Iterator[Stage]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMING.region)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        region = NAMING.region
        s3 = boto3.client("s3", region_name=region)
        for bucket in (NAMES.source_bucket, NAMES.output_bucket):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        create_metadata_table(boto3.client("dynamodb", region_name=region), NAMES.metadata_table)
        glue = boto3.client("glue", region_name=region)
        glue.create_job(
            Name=NAMES.job,
            Role=NAMING.role_arn(NAMING.glue_service_role),
            Command={"Name": "glueetl", "ScriptLocation": "s3://assets/entrypoint.py"},
            ExecutionProperty={"MaxConcurrentRuns": 2},
        )
        lambda_ = boto3.client("lambda", region_name=region)
        role = boto3.client("iam").create_role(
            RoleName="single-node", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )["Role"]["Arn"]
        lambda_.create_function(
            FunctionName=NAMES.single_node,
            Runtime="python3.13",
            Role=role,
            Handler="function_job.handler",
            Code={"ZipFile": b"not run here"},
        )
        invoked: list[dict[str, Any]] = []
        lambda_.meta.events.register(
            "provide-client-params.lambda.Invoke", lambda params, **_: invoked.append(dict(params))
        )
        table = MetadataTable(
            boto3.resource("dynamodb", region_name=region).Table(NAMES.metadata_table)
        )
        yield Stage(s3, glue, lambda_, table, invoked)
    orchestrator.metrics.clear_metrics()
    sweeper.metrics.clear_metrics()
