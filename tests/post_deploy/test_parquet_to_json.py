"""Post-deploy test of parquet-to-json: a taxi month uploaded to its source bucket is
recorded in the metadata table, converted (its four rows that break a quality rule kept
apart) and its item ends SUCCEEDED with its counts; the JSON Lines hold every other row."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from applications_repo.parquet_to_json.definition import SAMPLES
from applications_repo.parquet_to_json.metadata import MetadataTable, file_id, plain
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from shared.naming import TEST_PREFIX

SAMPLE = SAMPLES / "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet"
SAMPLE_ROWS, SAMPLE_REJECTED = 5000, 4
FINISHED = ("SUCCEEDED", "FAILED", "REJECTED")


@pytest.fixture
def uploaded_parquet(aws_session, naming):
    """The sample month under the post-deploy test prefix; removed afterwards."""
    s3 = aws_session.client("s3")
    bucket = ParquetToJsonNames(naming).source_bucket
    key = f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}/{SAMPLE.name}"
    put = s3.put_object(Bucket=bucket, Key=key, Body=SAMPLE.read_bytes())
    yield key, put.get("VersionId")
    s3.delete_object(Bucket=bucket, Key=key)


def test_an_uploaded_parquet_file_is_converted_and_recorded(
    aws_session, naming, uploaded_parquet, run_polling
):
    key, version = uploaded_parquet
    names = ParquetToJsonNames(naming)
    table = MetadataTable(aws_session.resource("dynamodb").Table(names.metadata_table))
    deadline = time.monotonic() + run_polling.timeout_seconds
    item = None
    while time.monotonic() < deadline:
        item = table.get(file_id(key, version))
        if item and item["processing_status"] in FINISHED:
            break
        time.sleep(run_polling.poll_seconds)
    assert item is not None, f"{key} was never recorded"
    record = plain(item)
    assert record["processing_status"] == "SUCCEEDED", record
    assert [h["status"] for h in record["history"]] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert (record["record_count"], record["rejected_count"]) == (
        SAMPLE_ROWS - SAMPLE_REJECTED,
        SAMPLE_REJECTED,
    )
    output = record["output_file_path"].removeprefix(f"s3://{names.output_bucket}/")
    body = aws_session.client("s3").get_object(Bucket=names.output_bucket, Key=output)
    rows = [json.loads(line) for line in body["Body"].read().decode().splitlines()]
    assert len(rows) == SAMPLE_ROWS - SAMPLE_REJECTED
    assert rows[0]["tpep_pickup_datetime"].endswith("Z")
