"""GlueParquetToJsonSweeper against moto: it starts what waits, fails what is stuck only when
its run is gone (and says why), leaves live runs alone, and serves status and retry."""

from __future__ import annotations

from dataclasses import replace

import pytest

from applications_repo.parquet_to_json.metadata import Status, plain
from applications_repo.parquet_to_json.runtime.orchestrator import handle as orchestrate
from applications_repo.parquet_to_json.runtime.sweeper import BadRequestError, handle, handler
from shared import clock
from tests.unit.parquet_to_json.conftest import (
    NAMES,
    ORCHESTRATOR_CONFIG,
    SWEEPER,
    SWEEPER_CONFIG,
    lambda_context,
)
from tests.unit.parquet_to_json.test_orchestrator import KEY, RefusingGlue, item_of

BY = NAMES.sweeper
LATER = 60 * (SWEEPER_CONFIG.stuck_after_minutes + 1)


@pytest.fixture
def later(monkeypatch):
    """Move the clock the code reads past the stuck threshold."""
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now + LATER)


GLUE_SIZED = replace(
    ORCHESTRATOR_CONFIG, start=replace(ORCHESTRATOR_CONFIG.start, single_node_max_bytes=10)
)
"""The orchestrator's configuration with every file above the single-node size."""


def upload(stage, taxi_file, *, glue=None):
    clients = stage.orchestrator if glue is None else replace(stage.orchestrator, glue=glue)
    config = ORCHESTRATOR_CONFIG if glue is None else GLUE_SIZED
    event = stage.put(KEY, taxi_file)
    orchestrate(event, clients, config, NAMES.orchestrator)
    return event


def test_a_sweep_starts_the_runs_that_wait(stage, taxi_file):
    event = upload(stage, taxi_file, glue=RefusingGlue())
    answer = handle({"action": "sweep"}, stage.sweeper, SWEEPER_CONFIG, BY)
    item = item_of(stage, event)
    assert answer["started"] == [item["file_id"]]
    assert item["start_token"] and item["job_run_id"].startswith("fr_")


def test_a_sweep_fails_a_single_node_run_with_no_progress_past_the_threshold(
    stage, taxi_file, later
):
    event = upload(stage, taxi_file)
    answer = handle({"action": "sweep"}, stage.sweeper, SWEEPER_CONFIG, BY)
    item = item_of(stage, event)
    assert answer["failed"] == [item["file_id"]]
    assert item["processing_status"] == Status.FAILED
    assert "ended without recording its result" in item["error_message"]


def test_a_sweep_leaves_a_fresh_run_alone(stage, taxi_file):
    event = upload(stage, taxi_file)
    answer = handle({"action": "sweep"}, stage.sweeper, SWEEPER_CONFIG, BY)
    assert answer["failed"] == []
    assert item_of(stage, event)["processing_status"] == Status.PENDING


class LiveGlue:
    """Glue whose runs are still running."""

    def get_job_run(self, **_):
        return {"JobRun": {"JobRunState": "RUNNING"}}


class DeadGlue:
    def get_job_run(self, **_):
        return {"JobRun": {"JobRunState": "TIMEOUT", "ErrorMessage": "Job run timed out"}}


def glue_item(stage, taxi_file):
    event = stage.put(KEY, taxi_file)
    orchestrate(event, stage.orchestrator, GLUE_SIZED, NAMES.orchestrator)
    item = item_of(stage, event)
    assert stage.table.begin_run(item["file_id"], item["start_token"], item["job_run_id"], "spark")
    return event


def test_a_stuck_item_whose_glue_run_still_runs_is_left_alone(stage, taxi_file, later):
    event = glue_item(stage, taxi_file)
    answer = handle(
        {"action": "sweep"}, replace(stage.sweeper, glue=LiveGlue()), SWEEPER_CONFIG, BY
    )
    assert answer["still_running"] == [item_of(stage, event)["file_id"]]
    assert item_of(stage, event)["processing_status"] == Status.RUNNING


def test_a_stuck_item_whose_glue_run_ended_is_failed_with_glues_reason(stage, taxi_file, later):
    event = glue_item(stage, taxi_file)
    handle({"action": "sweep"}, replace(stage.sweeper, glue=DeadGlue()), SWEEPER_CONFIG, BY)
    item = item_of(stage, event)
    assert item["processing_status"] == Status.FAILED
    assert "is TIMEOUT (Job run timed out)" in item["error_message"]


def test_status_counts_and_lists_by_status(stage, taxi_file):
    event = upload(stage, taxi_file)
    bad = stage.put("raw-data/2024/01/16/bad.parquet", b"not parquet at all")
    orchestrate(bad, stage.orchestrator, ORCHESTRATOR_CONFIG, NAMES.orchestrator)
    counts = handle({"action": "status"}, stage.sweeper, SWEEPER_CONFIG, BY)
    assert counts["PENDING"] == 1 and counts["REJECTED"] == 1 and counts["SUCCEEDED"] == 0
    listed = handle({"action": "status", "status": "PENDING"}, stage.sweeper, SWEEPER_CONFIG, BY)
    assert [i["file_id"] for i in listed["items"]] == [item_of(stage, event)["file_id"]]


def test_retry_starts_a_failed_file_again_and_refuses_a_running_one(stage, taxi_file, later):
    event = upload(stage, taxi_file)
    handle({"action": "sweep"}, stage.sweeper, SWEEPER_CONFIG, BY)
    item_id = item_of(stage, event)["file_id"]
    answer = handle({"action": "retry", "file_ids": [item_id]}, stage.sweeper, SWEEPER_CONFIG, BY)
    assert answer[item_id].startswith("STARTED fr_")
    again = handle({"action": "retry", "file_ids": [item_id]}, stage.sweeper, SWEEPER_CONFIG, BY)
    assert again[item_id] == "not retried: it is PENDING"
    assert len(stage.single_node_runs()) == 2
    history = [h["status"] for h in plain(item_of(stage, event))["history"]]
    assert history == ["PENDING", "FAILED", "PENDING"]


def test_an_unknown_action_is_refused_with_the_known_ones(stage):
    with pytest.raises(BadRequestError, match="one of sweep, status, retry"):
        handle({"action": "vacuum"}, stage.sweeper, SWEEPER_CONFIG, BY)


def test_the_handler_reads_its_configuration_from_the_definitions_environment(stage, monkeypatch):
    from applications_repo.parquet_to_json.runtime import sweeper  # noqa: PLC0415

    for name, value in SWEEPER.environment.items():
        monkeypatch.setenv(name, value)
    sweeper.clients.cache_clear()
    answer = handler({"action": "sweep"}, lambda_context(NAMES.sweeper))
    assert answer == {"started": [], "waiting": [], "failed": [], "still_running": []}
