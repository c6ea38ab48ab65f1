"""GlueParquetToJsonOrchestrator against moto: every upload gets its metadata item; a valid
one starts exactly one run (single-node or Glue by size), a repeated event none, a new
version a new, linked one; an invalid one is REJECTED and quarantined with its reason; a
refused start leaves the item waiting."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from applications_repo.parquet_to_json.metadata import Status, file_id
from applications_repo.parquet_to_json.runtime.orchestrator import handle, handler
from shared.local.events import object_created_event
from shared.quarantine import QUARANTINE_PREFIX, REASON_SUFFIX
from tests.unit.parquet_to_json.conftest import (
    NAMES,
    ORCHESTRATOR,
    ORCHESTRATOR_CONFIG,
    lambda_context,
)

KEY = "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet"
BY = NAMES.orchestrator


def item_of(stage, event: dict[str, Any]) -> dict[str, Any]:
    found = stage.table.get(file_id(KEY, event["detail"]["object"]["version-id"]))
    assert found is not None
    return found


def test_a_valid_upload_is_recorded_pending_and_starts_one_single_node_run(stage, taxi_file):
    event = stage.put(KEY, taxi_file)
    outcome = handle(event, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    item = item_of(stage, event)
    [run] = stage.single_node_runs()
    assert outcome["status"] == "STARTED"
    assert outcome["job_run_id"] == run["JobRunId"] == item["job_run_id"]
    assert item["processing_status"] == Status.PENDING
    assert item["source_file_path"] == f"s3://{NAMES.source_bucket}/{KEY}"
    assert item["output_file_path"] == (
        f"s3://{NAMES.output_bucket}/processed-data/2024/01/15/yellow_tripdata_2024-01.json"
    )
    assert item["file_size_bytes"] == len(taxi_file)
    assert run["Arguments"]["--start_token"] == item["start_token"]
    assert run["Arguments"]["--file_id"] == item["file_id"]
    assert run["Arguments"]["--source_version"] == item["source_version"]
    assert stage.glue_runs() == []


def test_a_file_above_the_single_node_size_runs_on_glue(stage, taxi_file):
    config = replace(
        ORCHESTRATOR_CONFIG, start=replace(ORCHESTRATOR_CONFIG.start, single_node_max_bytes=10)
    )
    event = stage.put(KEY, taxi_file)
    outcome = handle(event, stage.orchestrator, config, BY)
    [run] = stage.glue_runs()
    assert outcome["job_run_id"] == run["Id"]
    assert (
        run["Arguments"]["--output_key"] == "processed-data/2024/01/15/yellow_tripdata_2024-01.json"
    )
    assert stage.invoked == []


def test_a_repeated_event_creates_no_second_item_and_no_second_run(stage, taxi_file):
    event = stage.put(KEY, taxi_file)
    first = handle(event, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    again = handle(event, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    assert len(stage.single_node_runs()) == 1
    assert again["duplicate"] is True
    assert again["job_run_id"] == first["job_run_id"]
    assert len(item_of(stage, event)["history"]) == 1


def test_a_new_version_is_a_new_run_linked_to_the_previous_version(stage, taxi_file):
    first = stage.put(KEY, taxi_file)
    handle(first, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    second = stage.put(KEY, taxi_file)
    handle(second, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    assert len(stage.single_node_runs()) == 2
    assert item_of(stage, second)["previous_file_id"] == item_of(stage, first)["file_id"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"VendorID,fare_amount\n1,12.5\n", "does not start with Parquet's magic bytes PAR1"),
        (b"PAR1" + b"\x00" * 40, "does not end with Parquet's magic bytes PAR1"),
        (b"PAR1" + b"\x00" * 4 + (4000).to_bytes(4, "little") + b"PAR1", "has a footer of 4000"),
        (b"PAR", "is 3 bytes, outside the limits"),
    ],
    ids=["csv", "no closing magic", "footer too long", "too small"],
)
def test_an_invalid_upload_is_rejected_recorded_and_quarantined_with_its_reason(
    stage, body, reason
):
    event = stage.put(KEY, body)
    outcome = handle(event, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    item = item_of(stage, event)
    assert outcome["status"] == "REJECTED"
    assert reason in item["error_message"] and KEY in item["error_message"]
    assert item["processing_status"] == Status.REJECTED
    kept = stage.s3.get_object(Bucket=NAMES.source_bucket, Key=f"{QUARANTINE_PREFIX}{KEY}")
    assert kept["Body"].read() == body
    document = stage.s3.get_object(
        Bucket=NAMES.source_bucket, Key=f"{QUARANTINE_PREFIX}{KEY}{REASON_SUFFIX}"
    )
    assert reason in json.loads(document["Body"].read())["reason"]
    assert item["quarantine"].endswith(REASON_SUFFIX)
    assert stage.invoked == [] and stage.glue_runs() == []


def test_a_truncated_copy_of_a_valid_file_is_rejected(stage, taxi_file):
    event = stage.put(KEY, taxi_file[: len(taxi_file) // 2])
    handle(event, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    assert "truncated" in item_of(stage, event)["error_message"]


class RefusingGlue:
    """Glue that refuses every run, as it does beyond a job's concurrency."""

    def start_job_run(self, **_: Any) -> dict[str, Any]:
        error = {"Code": "ConcurrentRunsExceededException", "Message": "Concurrent runs exceeded"}
        raise ClientError({"Error": error}, "StartJobRun")


def test_a_refused_start_leaves_the_item_waiting_without_its_claim(stage, taxi_file):
    config = replace(
        ORCHESTRATOR_CONFIG, start=replace(ORCHESTRATOR_CONFIG.start, single_node_max_bytes=10)
    )
    clients = replace(stage.orchestrator, glue=RefusingGlue())
    event = stage.put(KEY, taxi_file)
    outcome = handle(event, clients, config, BY)
    item = item_of(stage, event)
    assert outcome["status"] == "WAITING"
    assert "ConcurrentRunsExceededException" in item["waiting_reason"]
    assert item["processing_status"] == Status.PENDING
    assert "start_token" not in item and "job_run_id" not in item


def test_a_redelivered_event_after_a_refusal_starts_the_run(stage, taxi_file):
    config = replace(
        ORCHESTRATOR_CONFIG, start=replace(ORCHESTRATOR_CONFIG.start, single_node_max_bytes=10)
    )
    event = stage.put(KEY, taxi_file)
    handle(event, replace(stage.orchestrator, glue=RefusingGlue()), config, BY)
    outcome = handle(event, stage.orchestrator, config, BY)
    assert outcome["status"] == "STARTED"
    assert len(stage.glue_runs()) == 1


def test_a_key_outside_the_dated_layout_takes_the_day_of_its_upload(stage, taxi_file):
    put = stage.s3.put_object(Bucket=NAMES.source_bucket, Key="drop/trips.parquet", Body=taxi_file)
    event = object_created_event(
        bucket=NAMES.source_bucket,
        key="drop/trips.parquet",
        size=len(taxi_file),
        version_id=put["VersionId"],
        time=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )
    handle(event, stage.orchestrator, ORCHESTRATOR_CONFIG, BY)
    item = stage.table.get(file_id("drop/trips.parquet", put["VersionId"]))
    assert item is not None
    assert item["output_file_path"].endswith("/processed-data/2026/12/01/drop/trips.json")


def test_the_handler_reads_its_configuration_from_the_definitions_environment(
    stage, taxi_file, monkeypatch
):
    for name, value in ORCHESTRATOR.environment.items():
        monkeypatch.setenv(name, value)
    event = stage.put(KEY, taxi_file)
    from applications_repo.parquet_to_json.runtime import orchestrator  # noqa: PLC0415

    orchestrator.clients.cache_clear()
    outcome = handler(event, lambda_context(NAMES.orchestrator))
    assert outcome["status"] == "STARTED"
