"""The medallion Glue job on local Spark against moto: a run date's bronze pages become
silver records (checked, typed, one per key; the failing ones kept with every reason) and
one gold partition; the watermark skips an ingestion already carried; a re-run replaces the
partition; the quality gate stops a bad date before gold; compaction merges small files."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from applications_repo.medallion.api_client import ApiClient
from applications_repo.medallion.checkpoints import RUN_DATE, Checkpoints
from applications_repo.medallion.definition import job_arguments
from applications_repo.medallion.job.entrypoint import QualityGateError, compact, transform
from applications_repo.medallion.runtime.ingestion import ingest
from applications_repo.medallion.sample_api import BROKEN_EVERY, ORDERS_PER_DAY, SampleApi
from shared.glue.storage import StagedS3Storage
from tests.unit.medallion.conftest import CONFIG, NAMES, NAMING, SETTINGS
from tests.unit.medallion.test_api_client import DAY_RECORDS

DAY = "2025-11-03"
PARTITION = "curated/year=2025/month=11/day=03/"
ARGS = {**job_arguments(NAMING, SETTINGS, "transform"), "run_date": DAY}


class Lake:
    """The three layers and the checkpoints table in moto, and the sample API."""

    def __init__(self, api: SampleApi, workdir: Path) -> None:
        self.api = api
        self.s3 = boto3.client("s3", region_name=NAMING.region)
        for bucket in (NAMES.bronze_bucket, NAMES.silver_bucket, NAMES.gold_bucket):
            self.s3.create_bucket(Bucket=bucket)
        self.table = boto3.resource("dynamodb", region_name=NAMING.region).create_table(
            TableName=NAMES.checkpoints_table,
            KeySchema=[{"AttributeName": RUN_DATE, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": RUN_DATE, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.storage = StagedS3Storage(self.s3, workdir)

    def ingest(self, execution: str, day: str = DAY) -> dict[str, Any]:
        client = ApiClient(self.api.url, self.api.api_key, sleep=lambda s: None)
        return ingest(
            day,
            execution,
            s3=self.s3,
            checkpoints=Checkpoints(self.table),
            client=client,
            config=CONFIG,
        )

    def transform(self, spark, run_id: str, day: str = DAY):
        return transform(spark, self.storage, self.table, {**ARGS, "run_date": day}, run_id)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def body(self, bucket: str, key: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def gold(self, prefix: str = PARTITION) -> pa.Table:
        tables = [
            pq.read_table(io.BytesIO(self.body(NAMES.gold_bucket, key)))
            for key in self.keys(NAMES.gold_bucket, prefix)
        ]
        return pa.concat_tables(tables)


@pytest.fixture
def lake(monkeypatch) -> Iterator[Lake]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMING.region)
    api = SampleApi().start()
    with mock_aws(), tempfile.TemporaryDirectory() as workdir:
        yield Lake(api, Path(workdir))
    api.stop()


BROKEN = len(
    {n for every in BROKEN_EVERY.values() for n in range(every, ORDERS_PER_DAY + 1, every)}
)
"""The sample API's orders of a day that break a rule."""


def test_a_date_goes_from_bronze_to_silver_and_one_gold_partition(spark, lake):
    lake.ingest("exec-1")
    report = lake.transform(spark, "jr_1")
    rejected = BROKEN
    assert (report.rows_read, report.rows_rejected) == (DAY_RECORDS, rejected)
    assert report.detail["duplicates"] == DAY_RECORDS - ORDERS_PER_DAY
    assert report.rows_written == ORDERS_PER_DAY - rejected
    gold = lake.gold()
    assert gold.num_rows == report.rows_written
    assert len(set(gold.column("order_id").to_pylist())) == gold.num_rows
    assert gold.schema.field("amount").type == pa.decimal128(12, 2)
    assert pa.types.is_timestamp(gold.schema.field("created_at").type)
    assert {"year", "month", "day"}.isdisjoint(gold.column_names)
    [file] = lake.keys(NAMES.gold_bucket, PARTITION)
    assert file.endswith(".snappy.parquet") and "part-jr_1-" in file
    silver = lake.body(NAMES.silver_bucket, "processed/2025/11/03/data_clean.json").splitlines()
    assert len(silver) == report.rows_written
    assert lake.keys(NAMES.gold_bucket, "curated/_staging/") == []


def test_of_two_updates_of_an_order_the_later_is_kept(spark, lake):
    lake.ingest("exec-1")
    lake.transform(spark, "jr_1")
    rows = {r["order_id"]: r for r in lake.gold().to_pylist()}
    assert rows["ord-20251103-00041"]["status"] == "paid"


def test_every_rejected_record_is_kept_with_every_reason(spark, lake):
    lake.ingest("exec-1")
    report = lake.transform(spark, "jr_1")
    assert report.rejects == f"s3://{NAMES.silver_bucket}/rejected/2025/11/03/rejected.json"
    lines = lake.body(NAMES.silver_bucket, "rejected/2025/11/03/rejected.json").splitlines()
    rejected = {row["order_id"]: row for row in map(json.loads, lines)}
    assert len(rejected) == report.rows_rejected
    assert rejected["ord-20251103-00037"]["_reasons"] == "customer_id is missing"
    assert rejected["ord-20251103-00053"]["_reasons"] == "amount '-12.50' is negative"
    assert rejected["ord-20251103-00071"]["_reasons"] == (
        "created_at 'yesterday' is not an ISO-8601 time"
    )
    assert rejected["ord-20251103-00097"]["_reasons"] == (
        "currency 'euro' is not an ISO 4217 currency code"
    )
    assert (rejected["ord-20251103-00053"]["_page"], rejected["ord-20251103-00053"]["_record"]) == (
        1,
        54,
    )


def test_an_ingestion_already_carried_to_gold_is_not_processed_again(spark, lake):
    lake.ingest("exec-1")
    lake.transform(spark, "jr_1")
    again = lake.transform(spark, "jr_2")
    assert again.detail["skipped"] == "this ingestion already reached gold"
    assert all("jr_1" in key for key in lake.keys(NAMES.gold_bucket, PARTITION))


def test_a_re_run_of_the_date_replaces_its_partition_and_nothing_else(spark, lake):
    lake.ingest("exec-1", day="2025-11-02")
    lake.transform(spark, "jr_0", day="2025-11-02")
    lake.ingest("exec-1")
    first = lake.transform(spark, "jr_1")
    lake.ingest("exec-2")
    second = lake.transform(spark, "jr_2")
    assert second.rows_written == first.rows_written == lake.gold().num_rows
    assert all("jr_2" in key for key in lake.keys(NAMES.gold_bucket, PARTITION))
    assert lake.gold("curated/year=2025/month=11/day=02/").num_rows > 0


def test_a_date_above_the_rejection_gate_fails_before_gold(spark, lake):
    lake.api.faults.broken_dates.add(DAY)
    lake.ingest("exec-1")
    with pytest.raises(
        QualityGateError,
        match=r"run date 2025-11-03: 235 of 235 records \(100.0%\) rejected, above the gate "
        r"of 20.0%",
    ):
        lake.transform(spark, "jr_1")
    assert lake.keys(NAMES.gold_bucket) == []
    assert lake.keys(NAMES.silver_bucket, "rejected/2025/11/03/") == [
        "rejected/2025/11/03/rejected.json"
    ]


def test_compaction_merges_a_partition_of_small_files(spark, lake):
    lake.ingest("exec-1")
    lake.transform(spark, "jr_1")
    rows = lake.gold()
    for n in range(3):
        sink = io.BytesIO()
        pq.write_table(rows.slice(n * 10, 10), sink)
        lake.s3.put_object(
            Bucket=NAMES.gold_bucket, Key=f"{PARTITION}extra-{n}.parquet", Body=sink.getvalue()
        )
    args = job_arguments(NAMING, SETTINGS, "compact")
    report = compact(spark, lake.storage, args, "jr_c", date(2025, 11, 20))
    assert report.detail["compacted"] == {
        "year=2025/month=11/day=03": {"files_before": 4, "files_after": 1}
    }
    [file] = lake.keys(NAMES.gold_bucket, PARTITION)
    assert "jr_c" in file
    assert lake.gold().num_rows == rows.num_rows + 30
