"""The bundled samples through the local stage, checked as a user would: through boto3 and
pyarrow, on what landed in S3, the catalog, the runs and the dead-letter queue."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest

from applications_repo.file_processor.names import FileProcessorNames
from shared.local.run import sample_files, summary
from shared.quarantine import QUARANTINE_PREFIX, REASON_SUFFIX
from tests.post_deploy.checks import parquet_row_count

pytestmark = pytest.mark.integration

EXPECTED_ROWS = {"sales": 8, "customers": 6, "orders": 6, "sensors": 10}


@pytest.fixture(scope="module")
def processed(local_stage):
    """Every sample uploaded, delivered and processed; the legislators sample run too."""
    uploads = [
        local_stage.upload(path, key) for path, key in sample_files(local_stage.applications)
    ]
    runs = local_stage.start_sample_runs()
    local_stage.wait(uploads)
    return {row.input: row for row in summary(local_stage, uploads, runs)}


def output_keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def test_every_csv_sample_ran_to_success_and_the_empty_one_started_nothing(processed, local_stage):
    assert processed["broken/empty.csv"].state == "REJECTED"
    assert "empty file (0 bytes)" in processed["broken/empty.csv"].note
    names = FileProcessorNames(local_stage.naming)
    runs = [r for r in local_stage.runs() if r.job_name == names.single_node_function]
    sources = {run.arguments["--source_key"] for run in runs}
    assert {key for key in processed if key.endswith(".csv")} - sources == {"broken/empty.csv"}
    assert {run.state for run in runs} == {"SUCCEEDED"}
    # small files take the single-node function, billed per millisecond, not a Glue run
    glue = local_stage.session.client("glue")
    assert glue.get_job_runs(JobName=names.job)["JobRuns"] == []


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("broken/empty.csv", "empty file (0 bytes)"),
        (
            "broken/compressed.csv",
            "gzip-compressed data, not CSV text: upload the CSV uncompressed",
        ),
    ],
)
def test_rejected_files_are_quarantined_with_their_reason(processed, local_stage, key, reason):
    s3 = local_stage.session.client("s3")
    bucket = local_stage.naming.input_bucket
    document = json.loads(
        s3.get_object(Bucket=bucket, Key=f"{QUARANTINE_PREFIX}{key}{REASON_SUFFIX}")["Body"].read()
    )
    assert document["reason"] == reason
    assert document["copy"] == f"s3://{bucket}/{QUARANTINE_PREFIX}{key}"
    s3.head_object(Bucket=bucket, Key=f"{QUARANTINE_PREFIX}{key}")
    assert not output_keys(s3, local_stage.naming.output_bucket, "broken/")


@pytest.mark.parametrize(("dataset", "rows"), EXPECTED_ROWS.items())
def test_parquet_row_counts(processed, local_stage, dataset, rows):
    s3 = local_stage.session.client("s3")
    assert parquet_row_count(s3, local_stage.naming.output_bucket, f"{dataset}/") == rows


def test_parquet_columns_are_typed_and_carry_the_metadata_columns(processed, local_stage):
    s3 = local_stage.session.client("s3")
    bucket = local_stage.naming.output_bucket
    [key] = [k for k in output_keys(s3, bucket, "sales/") if k.endswith(".parquet")]
    schema = pq.read_schema(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    types = {field.name: str(field.type) for field in schema}
    assert types["order_id"] == "int64"
    assert types["unit_price"] == "decimal128(38, 2)"
    assert types["discounted"] == "bool"
    assert types["order_date"] == "date32[day]"
    assert {"processed_at", "source_file", "processing_job"} <= set(types)


def test_rejected_rows_are_kept_with_line_and_reason(processed, local_stage):
    s3 = local_stage.session.client("s3")
    bucket = local_stage.naming.output_bucket
    [key] = output_keys(s3, bucket, "rejects/orders/")
    rejects = [
        json.loads(line)
        for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
    ]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (3, "expected 4 fields, found 3"),
        (5, "expected 4 fields, found 5"),
    ]
    row = processed["orders/orders_with_bad_rows.csv"]
    assert (row.rows_read, row.rows_written, row.rows_rejected) == (8, 6, 2)


def test_the_catalog_knows_every_table(processed, local_stage):
    glue = local_stage.session.client("glue")
    tables = glue.get_tables(DatabaseName=local_stage.naming.database)["TableList"]
    assert {t["Name"] for t in tables} >= {*EXPECTED_ROWS, "legislators_history"}
    sales = next(t for t in tables if t["Name"] == "sales")
    assert sales["PartitionKeys"] == [{"Name": "ingest_date", "Type": "string"}]


def test_the_legislators_sample_gives_its_hand_counted_history(processed):
    row = processed["ProcessLegislators-dev sample"]
    assert (row.state, row.rows_written) == ("SUCCEEDED", 7)


def test_nothing_is_left_in_the_dead_letter_queue(processed, local_stage):
    assert local_stage.dead_letters() == 0
