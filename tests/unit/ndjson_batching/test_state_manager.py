"""GlueNdjsonStateManager: status, retry, release, requeue, sweep and health."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from applications_repo.ndjson_batching.runtime import state_manager
from applications_repo.ndjson_batching.tracking import FileStatus, TrackedFile
from applications_repo.ndjson_batching.validation import FileRules
from tests.unit.ndjson_batching.conftest import NAMES, ndjson


def act(stage, event: dict, files: FileRules | None = None) -> dict:
    return state_manager.act(event, stage.state_clients(), stage.state_config(files), "test")


def now() -> float:
    return datetime.now(UTC).timestamp()


def tracked(
    stage, key: str, body: bytes = b"", status=FileStatus.PENDING, at: float | None = None
) -> TrackedFile:
    body = body or ndjson(3)
    put = stage.s3.put_object(Bucket=NAMES.input_bucket, Key=key, Body=body)
    file = TrackedFile(
        NAMES.input_bucket,
        key,
        put["VersionId"],
        put["ETag"].strip('"'),
        len(body),
        datetime.now(UTC),
    )
    reason = "bad" if status is FileStatus.QUARANTINED else ""
    assert stage.tracking.add(file, now() if at is None else at, status, reason=reason)
    return file


def test_status_counts_every_status_and_lists_what_is_asked(stage):
    tracked(stage, "a.ndjson")
    tracked(stage, "b.ndjson", status=FileStatus.QUARANTINED)
    answer = act(stage, {"action": "status", "status": "quarantined"})
    assert answer["counts"]["pending"] == 1
    assert answer["counts"]["quarantined"] == 1
    assert answer["counts"]["completed"] == 0
    [shown] = answer["files"]
    assert shown["key"] == "b.ndjson" and shown["reason"] == "bad"
    assert shown["history"][0]["at"].endswith("+00:00")


def test_sweep_ships_a_batch_whose_oldest_file_is_old_enough(stage):
    tracked(stage, "old.ndjson", at=now() - 61)
    tracked(stage, "new.ndjson", at=now())
    answer = act(stage, {"action": "sweep"})
    assert len(answer["manifests"]) == 1
    assert stage.tracking.count(FileStatus.MANIFESTED) == 2


def test_sweep_leaves_a_young_batch(stage):
    tracked(stage, "new.ndjson", at=now())
    assert act(stage, {"action": "sweep"})["manifests"] == []


def test_retry_reruns_the_manifests_of_failed_and_stuck_files(stage):
    failed, stuck, fresh = (tracked(stage, f"{n}.ndjson") for n in ("failed", "stuck", "fresh"))
    for file, manifest in ((failed, "m-a"), (stuck, "m-b"), (fresh, "m-c")):
        stage.tracking.move(
            file.item_key,
            FileStatus.MANIFESTED,
            now() - 3 * 3600 if file is not fresh else now(),
            manifest_id=None,
            set_fields={"manifest_id": manifest, "manifest_key": f"manifests/d/{manifest}.json"},
        )
    stage.tracking.move(failed.item_key, FileStatus.PROCESSING, now(), manifest_id="m-a")
    stage.tracking.move(failed.item_key, FileStatus.FAILED, now(), manifest_id="m-a", reason="boom")
    answer = act(stage, {"action": "retry"})
    assert sorted(r["manifest"] for r in answer["restarted"]) == [
        "manifests/d/m-a.json",
        "manifests/d/m-b.json",
    ]
    runs = stage.glue.get_job_runs(JobName=NAMES.job)["JobRuns"]
    assert sorted(r["Arguments"]["--manifest_key"] for r in runs) == [
        "manifests/d/m-a.json",
        "manifests/d/m-b.json",
    ]


def test_requeue_makes_a_quarantined_file_pending_once_it_passes(stage):
    file = tracked(stage, "small.ndjson", body=ndjson(1), status=FileStatus.QUARANTINED)
    size = len(ndjson(1))
    strict = FileRules(min_bytes=size + 1, max_bytes=10**6, lines=5)
    still = act(stage, {"action": "requeue", "key": "small.ndjson"}, files=strict)
    assert still["requeued"] == [] and "below" in still["still_invalid"][0]["reason"]
    lenient = FileRules(min_bytes=1, max_bytes=10**6, lines=5)
    answer = act(stage, {"action": "requeue", "key": "small.ndjson"}, files=lenient)
    assert answer["requeued"] == [file.item_key["file_name"]]
    item = stage.tracking.get(file.item_key)
    assert item["status"] == "pending" and "reason" not in item


def test_health_alerts_when_files_are_stuck(stage):
    tracked(stage, "stuck.ndjson", at=now() - 3 * 3600)
    sqs = boto3.client("sqs", region_name="us-east-1")  # the topic's subscriber
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    stage.sns.subscribe(TopicArn=stage.topic_arn, Protocol="sqs", Endpoint=arn)
    answer = act(stage, {"action": "health"})
    assert answer["stuck"]["pending"] == 1
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    body = json.loads(json.loads(message["Body"])["Message"])
    assert body["stuck"]["pending"] == 1


def test_health_is_quiet_when_nothing_is_stuck(stage):
    tracked(stage, "fresh.ndjson", at=now())
    assert act(stage, {"action": "health"})["stuck"] == {
        "pending": 0,
        "manifested": 0,
        "processing": 0,
    }


def test_an_unknown_action_names_the_known_ones(stage):
    with pytest.raises(state_manager.UnknownActionError, match="expected one of status, retry"):
        act(stage, {"action": "explode"})
