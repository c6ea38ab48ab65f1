"""Post-deploy test of ndjson-batching: an NDJSON file uploaded to its input bucket is
tracked, shipped in a manifest (by age, through the scheduled sweep) and merged into Parquet
by the batch job; its tracking item ends ``completed`` with its row count."""

from __future__ import annotations

import time
import uuid

import pytest

from applications_repo.ndjson_batching.definition import SAMPLES
from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.tracking import TrackingTable, date_prefix, file_name
from shared.naming import TEST_PREFIX

SAMPLE = SAMPLES / "events-2026-12-01-a.ndjson"
SAMPLE_ROWS = 700


@pytest.fixture
def uploaded_ndjson(aws_session, naming):
    """The sample file under the integration-test prefix; removed afterwards."""
    s3 = aws_session.client("s3")
    bucket = NdjsonNames(naming).input_bucket
    key = f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}/{SAMPLE.name}"
    put = s3.put_object(Bucket=bucket, Key=key, Body=SAMPLE.read_bytes())
    yield key, put.get("VersionId")
    s3.delete_object(Bucket=bucket, Key=key)


def test_an_uploaded_ndjson_file_is_merged_into_parquet(
    aws_session, naming, uploaded_ndjson, run_polling
):
    key, version = uploaded_ndjson
    names = NdjsonNames(naming)
    head = aws_session.client("s3").head_object(Bucket=names.input_bucket, Key=key)
    tracking = TrackingTable(aws_session.resource("dynamodb").Table(names.tracking_table))
    item_key = {
        "date_prefix": date_prefix(head["LastModified"]),
        "file_name": file_name(key, version),
    }
    deadline = time.monotonic() + run_polling.timeout_seconds
    item = None
    while time.monotonic() < deadline:
        item = tracking.get(item_key)
        if item and item["status"] in ("completed", "failed", "quarantined"):
            break
        time.sleep(run_polling.poll_seconds)
    assert item is not None, f"{key} was never tracked"
    assert item["status"] == "completed", item
    assert (item["records"], item["rejected_lines"]) == (SAMPLE_ROWS, 0)
    assert [h["status"] for h in item["history"]][-4:] == [
        "pending",
        "manifested",
        "processing",
        "completed",
    ]
    assert item["output"].startswith(f"s3://{names.output_bucket}/merged-parquet-")
