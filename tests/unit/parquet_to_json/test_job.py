"""The job script against moto, on the single-node engine, started as the orchestrator starts
it: the metadata item moves PENDING -> RUNNING -> SUCCEEDED with its counts, a wrong schema
is REJECTED and quarantined, a crash leaves nothing half-written, a retry attempt takes the
run over, an older version's late run does not overwrite the newer JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from applications_repo.parquet_to_json.contract import Contract
from applications_repo.parquet_to_json.job import entrypoint, json_lines
from applications_repo.parquet_to_json.job.conversion import (
    ConversionRequest,
    Counts,
    Engine,
    Source,
    convert_file,
)
from applications_repo.parquet_to_json.metadata import Status, plain
from applications_repo.parquet_to_json.runtime.orchestrator import handle as orchestrate
from applications_repo.parquet_to_json.taxi_data import Shape, green_trips, trips
from shared.function_job import job_argv
from shared.glue.storage import LocalStorage
from shared.quarantine import QUARANTINE_PREFIX
from tests.unit.parquet_to_json.conftest import (
    DEFINITION,
    NAMES,
    ORCHESTRATOR_CONFIG,
    parquet_bytes,
)
from tests.unit.parquet_to_json.test_orchestrator import KEY, item_of

[SINGLE_NODE] = DEFINITION.function_jobs
OUTPUT_KEY = "processed-data/2024/01/15/yellow_tripdata_2024-01.json"
REJECTS_KEY = "rejected-data/2024/01/15/yellow_tripdata_2024-01.json"


def upload(stage, body: bytes) -> dict[str, Any]:
    event = stage.put(KEY, body)
    orchestrate(event, stage.orchestrator, ORCHESTRATOR_CONFIG, NAMES.orchestrator)
    return event


def argv_of(run: dict[str, Any], **overrides: str) -> list[str]:
    """The script's argv for a run the orchestrator started, as the function job builds it."""
    argv = job_argv(run, SINGLE_NODE.environment, NAMES.single_node)
    for name, value in overrides.items():
        argv += [f"--{name}", value]
    return argv


def lines(stage, key: str) -> list[dict[str, Any]]:
    body = stage.s3.get_object(Bucket=NAMES.output_bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in body.decode().splitlines()]


def exists(stage, key: str) -> bool:
    listed = stage.s3.list_objects_v2(Bucket=NAMES.output_bucket, Prefix=key)
    return bool(listed.get("Contents"))


def test_a_run_converts_the_file_and_records_its_counts(stage):
    event = upload(stage, parquet_bytes(trips(Shape(300, seed=3, violations=True))))
    [run] = stage.single_node_runs()
    report = entrypoint.report(argv_of(run))
    item = plain(item_of(stage, event))
    assert report.status == "SUCCEEDED"
    assert item["processing_status"] == "SUCCEEDED"
    assert [h["status"] for h in item["history"]] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert (item["rows_read"], item["record_count"], item["rejected_count"]) == (300, 296, 4)
    assert item["quality_violations"] == {
        "fare_amount_negative": 1,
        "trip_distance_negative": 1,
        "passenger_count_out_of_range": 1,
        "tpep_pickup_datetime_not_before_tpep_dropoff_datetime": 1,
    }
    assert item["job_run_id"] == run["JobRunId"] and item["engine"] == "arrow"
    assert len(lines(stage, OUTPUT_KEY)) == 296
    rejected = lines(stage, REJECTS_KEY)
    assert [r["_rejected"] for r in rejected] == [
        ["fare_amount is negative"],
        ["trip_distance is negative"],
        ["passenger_count is outside 0..9"],
        ["tpep_pickup_datetime is not before tpep_dropoff_datetime"],
    ]


def test_a_file_of_another_schema_is_rejected_and_quarantined(stage):
    event = upload(stage, parquet_bytes(green_trips(50)))
    [run] = stage.single_node_runs()
    report = entrypoint.report(argv_of(run))
    item = plain(item_of(stage, event))
    assert report.status == "REJECTED"
    assert item["processing_status"] == "REJECTED"
    assert (
        "missing required columns: tpep_pickup_datetime, tpep_dropoff_datetime"
        in (item["error_message"])
    )
    assert item["schema_report"]["unknown_columns"] == [
        "lpep_pickup_datetime",
        "lpep_dropoff_datetime",
    ]
    assert stage.s3.head_object(Bucket=NAMES.source_bucket, Key=f"{QUARANTINE_PREFIX}{KEY}")
    assert not exists(stage, "processed-data/")


def test_a_run_without_the_items_token_does_nothing(stage, taxi_file):
    event = upload(stage, taxi_file)
    [run] = stage.single_node_runs()
    report = entrypoint.report(argv_of(run, start_token="not-the-token"))
    assert report.status == "REJECTED" and "does not hold" in str(report.error)
    assert item_of(stage, event)["processing_status"] == Status.PENDING
    assert not exists(stage, "processed-data/")


def test_a_crash_mid_way_commits_nothing_and_the_retry_attempt_takes_over(stage, monkeypatch):
    event = upload(stage, parquet_bytes(trips(Shape(5000, seed=4))))
    [run] = stage.single_node_runs()
    real, calls = json_lines.lines, []

    def crash_on_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(json_lines, "lines", crash_on_the_third_batch)
    with pytest.raises(MemoryError):
        entrypoint.report(argv_of(run, batch_rows="1024"))
    item = plain(item_of(stage, event))
    assert item["processing_status"] == "FAILED"
    assert item["error_message"] == "the worker died"
    assert not exists(stage, "processed-data/")
    uploads = stage.s3.list_multipart_uploads(Bucket=NAMES.output_bucket)
    assert not uploads.get("Uploads")
    monkeypatch.setattr(json_lines, "lines", real)
    retried = entrypoint.report(argv_of(run, JOB_RUN_ID=f"{run['JobRunId']}_attempt_1"))
    item = plain(item_of(stage, event))
    assert retried.status == "SUCCEEDED"
    assert item["processing_status"] == "SUCCEEDED" and item["attempts"] == 2
    assert len(lines(stage, OUTPUT_KEY)) == 5000


def test_an_older_versions_late_run_does_not_overwrite_the_newer_json(stage):
    upload(stage, parquet_bytes(trips(Shape(100, seed=5))))
    newer = upload(stage, parquet_bytes(trips(Shape(40, seed=6))))
    older_run, newer_run = stage.single_node_runs()
    assert entrypoint.report(argv_of(newer_run)).status == "SUCCEEDED"
    late = entrypoint.report(argv_of(older_run))
    assert late.status == "SUCCEEDED"
    assert late.detail["superseded_by"] == item_of(stage, newer)["file_id"]
    assert len(lines(stage, OUTPUT_KEY)) == 40


class MiscountingSource(Source):
    """An engine whose counts disagree with what it wrote (one row lost on the way)."""

    def columns(self):
        return []

    def convert(self, schema, good, bad, progress):
        good.write(b'{"a":1}\n')
        return Counts(rows_read=2, rows_rejected=0, violations={})

    def close(self) -> None:
        return None


class MiscountingEngine(Engine):
    name = "miscounting"

    def open(self, storage, request):
        return MiscountingSource()


def test_counts_that_do_not_add_up_fail_the_run_and_commit_nothing(tmp_path):
    request = ConversionRequest(
        source="in.parquet",
        source_version=None,
        output=str(tmp_path / "out.json"),
        rejects=str(tmp_path / "rejects.json"),
        run_id="r1",
        contract=Contract(()),
    )
    done = convert_file(MiscountingEngine(), LocalStorage(), None, request)
    assert done.status == "FAILED"
    assert done.error is not None and "read 2 rows but wrote 1 and rejected 0" in done.error
    assert list(tmp_path.iterdir()) == []
