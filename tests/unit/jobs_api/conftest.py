"""jobs-api's buckets and tables in moto, as its stack makes them, with the API function
and the upload confirmation configured as its definition does; requests made as API
Gateway's REST proxy events."""

from __future__ import annotations

import importlib
import io
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from applications_repo.jobs_api import jobs
from applications_repo.jobs_api.definition import api_environment
from applications_repo.jobs_api.jobs import JobsTable
from applications_repo.jobs_api.names import JobsApiNames
from applications_repo.jobs_api.runtime import api
from applications_repo.jobs_api.settings import JobsApiSettings
from applications_repo.parquet_to_json.metadata import (
    CREATED,
    FILE_ID,
    SOURCE,
    SOURCE_INDEX,
    STATUS,
    STATUS_INDEX,
)
from shared.application import IDEMPOTENCY_KEY
from shared.config import StageName, load_config
from shared.local.events import object_created_event
from shared.local.function_code import LambdaContext
from shared.naming import StageNaming

NAMING = StageNaming.of(load_config(environ={}), StageName.DEV)
NAMES = JobsApiNames(NAMING)
SETTINGS = JobsApiSettings(
    auth="none",
    max_upload_mb=1,
    single_node_max_mb=0,
    allowed_origins=("http://localhost:5173", "http://127.0.0.1:8080"),
)
ENVIRONMENT = {**api_environment(NAMING, SETTINGS), "AWS_DEFAULT_REGION": NAMING.region}


def parquet_bytes(rows: int = 3) -> bytes:
    sink = io.BytesIO()
    pq.write_table(
        pa.table({"id": list(range(rows)), "name": [f"n{i}" for i in range(rows)]}), sink
    )
    return sink.getvalue()


def create_tables(dynamodb: Any) -> None:
    def index(name: str, partition: str) -> dict[str, Any]:
        return {
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": partition, "KeyType": "HASH"},
                {"AttributeName": CREATED, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }

    dynamodb.create_table(
        TableName=NAMES.jobs_table,
        KeySchema=[{"AttributeName": FILE_ID, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in (FILE_ID, STATUS, SOURCE, CREATED, jobs.LISTED)
        ],
        GlobalSecondaryIndexes=[
            index(STATUS_INDEX, STATUS),
            index(SOURCE_INDEX, SOURCE),
            index(jobs.LISTED_INDEX, jobs.LISTED),
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName=NAMES.idempotency_table,
        KeySchema=[{"AttributeName": IDEMPOTENCY_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": IDEMPOTENCY_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass
class Stage:
    """The moto stage and the API function's handler."""

    s3: Any
    glue: Any
    table: JobsTable

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        if body is not None and headers is None:
            headers = {"Content-Type": "application/json"}
        event = {
            "resource": path,
            "path": path,
            "httpMethod": method,
            "headers": dict(headers or {}),
            "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()},
            "queryStringParameters": dict(query) if query else None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()}
            if query
            else None,
            "pathParameters": None,
            "requestContext": {"stage": "dev", "path": f"/dev{path}", "requestId": "test"},
            "body": None if body is None else (body if isinstance(body, str) else json.dumps(body)),
            "isBase64Encoded": False,
        }
        answer = api.handler(event, context())
        text = answer.get("body") or ""
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        headers_out = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers_out[name.lower()] = ", ".join(values)
        return Reply(answer["statusCode"], headers_out, parsed)

    def upload(self, filename: str = "trips.parquet", data: bytes | None = None) -> str:
        """A job through POST /upload, its object put as the pre-signed POST would."""
        data = parquet_bytes() if data is None else data
        reply = self.request("POST", "/upload", {"filename": filename, "sizeBytes": len(data)})
        assert reply.status == 201, reply
        job_id = reply.body["jobId"]
        self.s3.put_object(
            Bucket=NAMES.input_bucket, Key=jobs.upload_key(job_id, filename), Body=data
        )
        return job_id

    def confirm(self, job_id: str, filename: str = "trips.parquet") -> dict[str, Any]:
        from applications_repo.jobs_api.runtime import uploads  # noqa: PLC0415

        key = jobs.upload_key(job_id, filename)
        head = self.s3.head_object(Bucket=NAMES.input_bucket, Key=key)
        event = object_created_event(
            bucket=NAMES.input_bucket,
            key=key,
            size=head["ContentLength"],
            version_id=head.get("VersionId"),
            account=NAMING.account,
        )
        clients = uploads.Clients(s3=self.s3, table=self.table)
        return uploads.handle(event, clients, SETTINGS.max_upload_bytes, "GlueJobsApiUploads-dev")

    def uploaded(self, filename: str = "trips.parquet") -> str:
        job_id = self.upload(filename)
        self.confirm(job_id, filename)
        return job_id


def context() -> LambdaContext:
    return LambdaContext(
        function_name=NAMES.api_function,
        aws_request_id="test",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:{NAMING.account}:function:x",
        memory_limit_in_mb=512,
        deadline=time.monotonic() + 29,
        log_group_name="test",
    )


@pytest.fixture
def stage() -> Iterator[Stage]:
    with mock_aws(), mock.patch.dict(os.environ, ENVIRONMENT):
        s3 = boto3.client("s3", region_name=NAMING.region)
        for bucket in (NAMES.input_bucket, NAMES.output_bucket):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        create_tables(boto3.client("dynamodb", region_name=NAMING.region))
        glue = boto3.client("glue", region_name=NAMING.region)
        glue.create_job(
            Name=NAMES.job, Role="arn:aws:iam::222222222222:role/x", Command={"Name": "glueetl"}
        )
        importlib.reload(api)  # its module-level resolver reads the function's environment
        table = JobsTable(
            boto3.resource("dynamodb", region_name=NAMING.region).Table(NAMES.jobs_table)
        )
        yield Stage(s3=s3, glue=glue, table=table)
        for cached in (api._table, api._clients, api._persistence):
            cached.cache_clear()
