"""medallion's sample API on 127.0.0.1, and its bronze bucket, checkpoints table and API
secret in moto, as its stack makes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from applications_repo.medallion.checkpoints import RUN_DATE, Checkpoints
from applications_repo.medallion.definition import definition
from applications_repo.medallion.names import MedallionNames
from applications_repo.medallion.runtime.ingestion import IngestionConfig
from applications_repo.medallion.sample_api import SampleApi
from applications_repo.medallion.settings import MedallionSettings
from shared.config import StageName, load_config
from shared.naming import StageNaming

NAMING = StageNaming.of(load_config(environ={}), StageName.DEV)
NAMES = MedallionNames(NAMING)
SETTINGS = MedallionSettings()
DEFINITION = definition(NAMING, SETTINGS)
INGESTION, RECORDER = DEFINITION.functions
CONFIG = IngestionConfig.from_environ(INGESTION.environment)
RUN_DATE_VALUE = "2025-11-03"


@pytest.fixture
def api() -> Iterator[SampleApi]:
    server = SampleApi().start()
    yield server
    server.stop()


@dataclass
class Bronze:
    """The ingestion's side of the stage in moto."""

    s3: Any
    table: Any
    checkpoints: Checkpoints
    secrets: Any

    def object_keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=NAMES.bronze_bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def json(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=NAMES.bronze_bucket, Key=key)["Body"].read())


@pytest.fixture
def bronze(monkeypatch) -> Iterator[Bronze]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMING.region)
    for name, value in INGESTION.environment.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name=NAMING.region)
        s3.create_bucket(Bucket=NAMES.bronze_bucket)
        dynamodb = boto3.resource("dynamodb", region_name=NAMING.region)
        table = dynamodb.create_table(
            TableName=NAMES.checkpoints_table,
            KeySchema=[{"AttributeName": RUN_DATE, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": RUN_DATE, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        secrets = boto3.client("secretsmanager", region_name=NAMING.region)
        secrets.create_secret(Name=NAMES.api_secret, SecretString="{}")
        yield Bronze(s3, table, Checkpoints(table), secrets)
