"""The metadata table's conditional writes: each status is reached only from the statuses
ALLOWED lists and only by the writer that holds the item; nothing a writer does erases
another's attributes."""

from __future__ import annotations

from applications_repo.parquet_to_json.metadata import (
    MetadataTable,
    NewFile,
    Status,
    plain,
)
from tests.unit.parquet_to_json.conftest import NAMES

SOURCE = f"s3://{NAMES.source_bucket}/raw-data/2024/01/15/a.parquet"


def new_file(version: str = "v1") -> NewFile:
    return NewFile(
        file_id=f"raw-data/2024/01/15/a.parquet@{version}",
        source_file_path=SOURCE,
        source_version=version,
        output_file_path=f"s3://{NAMES.output_bucket}/processed-data/2024/01/15/a.json",
        rejects_file_path=f"s3://{NAMES.output_bucket}/rejected-data/2024/01/15/a.json",
        file_size_bytes=1234,
    )


def running(table: MetadataTable, token: str = "t1", run: str = "jr_1") -> str:
    new = new_file()
    assert table.create(new, Status.PENDING, by="orchestrator")
    assert table.claim_start(new.file_id, token, by="orchestrator")
    assert table.begin_run(new.file_id, token, run, "spark")
    return new.file_id


def test_an_item_is_created_once(stage):
    assert stage.table.create(new_file(), Status.PENDING, by="a")
    assert not stage.table.create(new_file(), Status.PENDING, by="b")
    item = stage.table.get(new_file().file_id)
    assert item is not None and [h["by"] for h in item["history"]] == ["a"]


def test_only_one_start_can_be_claimed(stage):
    new = new_file()
    stage.table.create(new, Status.PENDING, by="a")
    assert stage.table.claim_start(new.file_id, "first", by="a")
    assert not stage.table.claim_start(new.file_id, "second", by="b")
    assert not stage.table.release_start(new.file_id, "second", "refused")
    assert stage.table.release_start(new.file_id, "first", "refused")
    assert stage.table.claim_start(new.file_id, "third", by="b")


def test_a_run_without_the_token_cannot_take_the_item(stage):
    item_id = running(stage.table)
    assert not stage.table.begin_run(item_id, "another token", "jr_2", "spark")
    item = stage.table.get(item_id)
    assert item is not None and item["job_run_id"] == "jr_1"


def test_a_retry_attempt_with_the_token_takes_over_and_counts_its_attempt(stage):
    item_id = running(stage.table)
    assert stage.table.finish(item_id, "jr_1", Status.FAILED, {}, error="boom")
    assert stage.table.begin_run(item_id, "t1", "jr_1_attempt_1", "spark")
    item = stage.table.get(item_id)
    assert item is not None
    assert item["attempts"] == 2
    assert item["processing_status"] == Status.RUNNING
    assert [h["status"] for h in item["history"]] == ["PENDING", "RUNNING", "FAILED", "RUNNING"]


def test_only_the_run_holding_the_item_finishes_it(stage):
    item_id = running(stage.table)
    assert not stage.table.finish(item_id, "jr_other", Status.SUCCEEDED, {"record_count": 5})
    assert stage.table.finish(item_id, "jr_1", Status.SUCCEEDED, {"record_count": 5})
    assert not stage.table.finish(item_id, "jr_1", Status.FAILED, {}, error="late")
    item = plain(stage.table.get(item_id))
    assert item["processing_status"] == "SUCCEEDED" and item["record_count"] == 5


def test_progress_keeps_the_other_attributes(stage):
    item_id = running(stage.table)
    assert stage.table.progress(item_id, "jr_1", {"rows_read": 10})
    item = plain(stage.table.get(item_id))
    assert item["progress"] == {"rows_read": 10}
    assert item["start_token"] == "t1" and item["engine"] == "spark"


def test_the_sweeper_gives_up_only_on_an_unchanged_item(stage):
    item_id = running(stage.table)
    seen = stage.table.get(item_id)
    assert seen is not None
    stage.table.progress(item_id, "jr_1", {"rows_read": 10})
    assert not stage.table.give_up(seen, "stuck", by="sweeper")
    fresh = stage.table.get(item_id)
    assert fresh is not None
    assert stage.table.give_up(fresh, "stuck", by="sweeper")
    assert stage.table.finish(item_id, "jr_1", Status.SUCCEEDED, {"record_count": 1})


def test_a_retry_forgets_the_claim_and_the_run(stage):
    item_id = running(stage.table)
    assert not stage.table.retry(item_id, by="operator")
    stage.table.finish(item_id, "jr_1", Status.FAILED, {}, error="boom")
    assert stage.table.retry(item_id, by="operator")
    item = stage.table.get(item_id)
    assert item is not None
    assert item["processing_status"] == Status.PENDING
    assert not {"start_token", "job_run_id", "error_message"} & set(item)


def test_the_indexes_answer_by_status_and_by_source(stage):
    stage.table.create(new_file("v1"), Status.PENDING, by="a")
    stage.table.create(new_file("v2"), Status.REJECTED, by="a", error="bad")
    assert stage.table.count(Status.PENDING) == 1
    assert [i["file_id"] for i in stage.table.by_status(Status.REJECTED)] == [
        new_file("v2").file_id
    ]
    latest = stage.table.latest_of(SOURCE)
    assert latest is not None and latest["file_id"] == new_file("v2").file_id
