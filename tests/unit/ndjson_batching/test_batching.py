"""When a batch ships, and that it ships each file exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from applications_repo.ndjson_batching.batching import (
    BatchRules,
    flush,
    ready_batches,
    release_expired,
)
from applications_repo.ndjson_batching.manifest import Manifest
from applications_repo.ndjson_batching.tracking import (
    ARRIVED,
    PARTITION_KEY,
    SORT_KEY,
    FileStatus,
    TrackedFile,
)
from tests.unit.ndjson_batching.conftest import NAMES

RULES = BatchRules(max_files=3, max_bytes=1000, max_age_seconds=60, lease_seconds=600)
NOW = 1_800_000_000.0


def pending(name: str, size: int, arrived: float, day: str = "2026-12-01") -> dict:
    return {PARTITION_KEY: day, SORT_KEY: name, "size": size, ARRIVED: int(arrived * 1000)}


def names(batches) -> list[list[str]]:
    return [[item[SORT_KEY] for item in batch] for batch in batches]


def test_a_full_batch_ships_and_a_young_partial_one_waits():
    files = [pending(f"f{i}", 10, NOW - 5 + i) for i in range(4)]
    assert names(ready_batches(files, RULES, NOW)) == [["f0", "f1", "f2"]]


def test_bytes_cut_a_batch_before_the_file_that_would_pass_the_limit():
    files = [pending("a", 600, NOW), pending("b", 300, NOW), pending("c", 200, NOW)]
    assert names(ready_batches(files, RULES, NOW)) == [["a", "b"]]


def test_a_partial_batch_ships_once_its_oldest_file_is_old_enough():
    """Measured from arrival, not from the last file: a trickle still ships."""
    files = [pending("old", 10, NOW - 61), pending("new", 10, NOW)]
    assert names(ready_batches(files, RULES, NOW)) == [["old", "new"]]
    assert ready_batches([pending("young", 10, NOW - 59)], RULES, NOW) == []


def test_batches_are_per_day():
    files = [
        pending("d1", 10, NOW - 100, day="2026-12-01"),
        pending("d2", 10, NOW - 100, day="2026-12-02"),
    ]
    assert names(ready_batches(files, RULES, NOW)) == [["d1"], ["d2"]]


def track(stage, count: int, arrived: float) -> list[TrackedFile]:
    files = []
    for i in range(count):
        file = TrackedFile(
            NAMES.input_bucket, f"in/{i}.ndjson", f"v{i}", f"etag{i}", 100, datetime.now(UTC)
        )
        assert stage.tracking.add(file, arrived, FileStatus.PENDING)
        files.append(file)
    return files


def manifests(stage) -> list[Manifest]:
    listed = stage.s3.list_objects_v2(Bucket=NAMES.manifest_bucket).get("Contents", [])
    return [
        Manifest.from_json(
            stage.s3.get_object(Bucket=NAMES.manifest_bucket, Key=o["Key"])["Body"].read()
        )
        for o in listed
    ]


def test_flush_writes_a_manifest_of_exactly_the_files_it_moved(stage):
    track(stage, 7, NOW)
    written = flush(
        stage.tracking, stage.s3, NAMES.manifest_bucket, RULES, owner="b1", clock=lambda: NOW
    )
    assert [len(m.files) for m in written] == [3, 3]
    stored = manifests(stage)
    assert sorted(m.key for m in stored) == sorted(m.key for m in written)
    listed = [f.key for m in stored for f in m.files]
    assert len(listed) == len(set(listed)) == 6
    assert stage.tracking.count(FileStatus.MANIFESTED) == 6
    assert stage.tracking.count(FileStatus.PENDING) == 1
    entry = stored[0].files[0]
    assert entry.version_id and entry.etag.startswith("etag") and entry.size == 100


def test_a_builder_that_finds_the_lease_taken_ships_nothing(stage):
    track(stage, 3, NOW)
    assert stage.tracking.take_lease("another builder", NOW, 600)
    assert (
        flush(stage.tracking, stage.s3, NAMES.manifest_bucket, RULES, owner="b2", clock=lambda: NOW)
        == []
    )
    assert stage.tracking.count(FileStatus.PENDING) == 3


def test_an_expired_lease_is_taken_by_the_next_builder(stage):
    track(stage, 3, NOW)
    assert stage.tracking.take_lease("dead builder", NOW - 700, 600)
    written = flush(
        stage.tracking, stage.s3, NAMES.manifest_bucket, RULES, owner="b3", clock=lambda: NOW
    )
    assert len(written) == 1
    assert stage.tracking.lease() is None


def test_files_of_a_builder_that_died_before_its_manifest_go_back_to_pending(stage, monkeypatch):
    track(stage, 3, NOW)

    def dies(**_):
        raise ConnectionError("the builder's sandbox is gone")

    monkeypatch.setattr(stage.s3, "put_object", dies)
    with pytest.raises(ConnectionError):
        flush(stage.tracking, stage.s3, NAMES.manifest_bucket, RULES, owner="b4", clock=lambda: NOW)
    monkeypatch.undo()
    assert stage.tracking.count(FileStatus.MANIFESTED) == 3
    # before the lease expires nothing moves: the builder may still be writing
    assert release_expired(stage.tracking, stage.s3, NAMES.manifest_bucket, clock=lambda: NOW) == []
    later = NOW + RULES.lease_seconds + 1
    released = release_expired(stage.tracking, stage.s3, NAMES.manifest_bucket, clock=lambda: later)
    assert len(released) == 3
    item = next(stage.tracking.in_status(FileStatus.PENDING))
    assert "manifest_id" not in item
    assert [h["status"] for h in item["history"]] == ["pending", "manifested", "pending"]
    assert "lease expired" in item["history"][-1]["reason"]
    written = flush(
        stage.tracking, stage.s3, NAMES.manifest_bucket, RULES, owner="b5", clock=lambda: later
    )
    assert [len(m.files) for m in written] == [3]


def test_files_whose_manifest_was_written_stay_manifested_after_the_lease(stage):
    track(stage, 3, NOW)
    flush(stage.tracking, stage.s3, NAMES.manifest_bucket, RULES, owner="b6", clock=lambda: NOW)
    later = NOW + RULES.lease_seconds + 1
    assert (
        release_expired(stage.tracking, stage.s3, NAMES.manifest_bucket, clock=lambda: later) == []
    )
    assert stage.tracking.count(FileStatus.MANIFESTED) == 3


def test_status_moves_only_from_the_allowed_statuses(stage):
    [file] = track(stage, 1, NOW)
    key = file.item_key
    assert not stage.tracking.move(key, FileStatus.COMPLETED, NOW, manifest_id=None)
    assert not stage.tracking.move(key, FileStatus.PROCESSING, NOW, manifest_id="m-1")
    assert stage.tracking.move(
        key, FileStatus.MANIFESTED, NOW, manifest_id=None, set_fields={"manifest_id": "m-1"}
    )
    assert not stage.tracking.move(key, FileStatus.PROCESSING, NOW, manifest_id="m-other")
    assert stage.tracking.move(key, FileStatus.PROCESSING, NOW, manifest_id="m-1")
    assert stage.tracking.move(key, FileStatus.COMPLETED, NOW, manifest_id="m-1")
    assert not stage.tracking.move(key, FileStatus.PENDING, NOW, manifest_id="m-1")
    item = stage.tracking.get(key)
    assert [h["status"] for h in item["history"]] == [
        "pending",
        "manifested",
        "processing",
        "completed",
    ]
