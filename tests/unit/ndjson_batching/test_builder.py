"""GlueNdjsonManifestBuilder: each file checked, tracked once, quarantined with its reason,
and batches shipped; failures reported per message."""

from __future__ import annotations

import json
import uuid

import pytest

from applications_repo.ndjson_batching.manifest import Manifest
from applications_repo.ndjson_batching.runtime import builder
from applications_repo.ndjson_batching.tracking import FileStatus
from shared.quarantine import QUARANTINE_PREFIX, REASON_SUFFIX
from tests.unit.ndjson_batching.conftest import NAMES, lambda_context, ndjson


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:222222222222:queue",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


@pytest.fixture
def invoke(stage, monkeypatch):
    """Run the handler as Lambda would, with the stage's environment."""
    for name, value in stage.environment.items():
        monkeypatch.setenv(name, value)
    builder.clients.cache_clear()

    def run(*events: dict, raw: tuple[str, ...] = ()) -> dict:
        bodies = [json.dumps(e) for e in events] + list(raw)
        return builder.handler(sqs_event(*bodies), lambda_context(NAMES.builder))

    return run


def test_valid_files_are_tracked_pending(stage, invoke):
    event = stage.put("in/a.ndjson", ndjson(5))
    assert invoke(event) == {"batchItemFailures": []}
    [item] = stage.tracking.in_status(FileStatus.PENDING)
    assert item["key"] == "in/a.ndjson"
    assert item["version_id"] == event["detail"]["object"]["version-id"]
    assert item["size"] == len(ndjson(5))
    assert item["date_prefix"] == event["time"][:10]


def test_the_same_event_twice_tracks_one_file(stage, invoke):
    event = stage.put("in/a.ndjson", ndjson(5))
    invoke(event)
    invoke(event, event)
    assert stage.tracking.count(FileStatus.PENDING) == 1


def test_a_new_version_of_a_key_is_a_new_file(stage, invoke):
    invoke(stage.put("in/a.ndjson", ndjson(5)))
    invoke(stage.put("in/a.ndjson", ndjson(6)))
    items = list(stage.tracking.in_status(FileStatus.PENDING))
    assert len(items) == 2
    assert len({i["version_id"] for i in items}) == 2


def test_an_invalid_file_is_quarantined_with_its_reason(stage, invoke):
    event = stage.put("in/bad.ndjson", b'{"id": 1}\n[1, 2, 3]\n{"id": 3}\n')
    invoke(event)
    [item] = stage.tracking.in_status(FileStatus.QUARANTINED)
    assert item["reason"] == "line 2: an array, not a JSON object: '[1, 2, 3]'"
    reason = json.loads(
        stage.s3.get_object(
            Bucket=NAMES.input_bucket, Key=f"{QUARANTINE_PREFIX}in/bad.ndjson{REASON_SUFFIX}"
        )["Body"].read()
    )
    assert reason["reason"] == item["reason"]
    assert reason["version_id"] == event["detail"]["object"]["version-id"]
    copy = stage.s3.get_object(Bucket=NAMES.input_bucket, Key=f"{QUARANTINE_PREFIX}in/bad.ndjson")
    assert copy["Body"].read().startswith(b'{"id": 1}')
    # the same event again quarantines nothing new
    invoke(event)
    assert stage.tracking.count(FileStatus.QUARANTINED) == 1


def test_a_file_too_small_is_quarantined(stage, invoke):
    invoke(stage.put("in/tiny.ndjson", b"{}\n"))
    [item] = stage.tracking.in_status(FileStatus.QUARANTINED)
    assert item["reason"] == "3 bytes is below the 10-byte minimum"


def test_a_message_that_fails_is_reported_and_the_others_are_kept(stage, invoke):
    """Partial batch response: only the failing message comes back to the queue."""
    good = stage.put("in/a.ndjson", ndjson(5))
    answer = (
        builder.handler(sqs_event(json.dumps(good), "not an event"), lambda_context(NAMES.builder))
        if False
        else invoke(good, raw=("not an event",))
    )
    assert len(answer["batchItemFailures"]) == 1
    assert stage.tracking.count(FileStatus.PENDING) == 1


def test_a_file_deleted_before_it_was_read_is_not_tracked(stage, invoke):
    event = stage.put("in/gone.ndjson", ndjson(5))
    stage.s3.delete_object(
        Bucket=NAMES.input_bucket,
        Key="in/gone.ndjson",
        VersionId=event["detail"]["object"]["version-id"],
    )
    assert invoke(event) == {"batchItemFailures": []}
    assert stage.tracking.count(FileStatus.PENDING) == 0


def test_a_full_batch_ships_as_the_files_arrive(stage, invoke):
    """files_per_manifest is 3 in this stage: the third file ships the batch."""
    invoke(*(stage.put(f"in/{i}.ndjson", ndjson(5, start=10 * i)) for i in range(2)))
    assert stage.tracking.count(FileStatus.MANIFESTED) == 0
    invoke(stage.put("in/2.ndjson", ndjson(5, start=20)))
    assert stage.tracking.count(FileStatus.MANIFESTED) == 3
    [listed] = stage.s3.list_objects_v2(Bucket=NAMES.manifest_bucket)["Contents"]
    manifest = Manifest.from_json(
        stage.s3.get_object(Bucket=NAMES.manifest_bucket, Key=listed["Key"])["Body"].read()
    )
    assert sorted(f.key for f in manifest.files) == ["in/0.ndjson", "in/1.ndjson", "in/2.ndjson"]
    assert all(
        item["manifest_id"] == manifest.manifest_id
        for item in stage.tracking.in_status(FileStatus.MANIFESTED)
    )
