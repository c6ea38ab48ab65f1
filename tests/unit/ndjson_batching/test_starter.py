"""GlueNdjsonJobStarter: one run per manifest, however often its event comes."""

from __future__ import annotations

import pytest

from applications_repo.ndjson_batching.runtime import starter
from shared.local.events import object_created_event
from tests.unit.ndjson_batching.conftest import NAMES, NAMING, lambda_context


@pytest.fixture
def invoke(stage, monkeypatch):
    for name, value in stage.environment.items():
        monkeypatch.setenv(name, value)

    def run(key: str, version: str | None = "v1") -> dict:
        event = object_created_event(
            bucket=NAMES.manifest_bucket,
            key=key,
            size=100,
            version_id=version,
            account=NAMING.account,
            region=NAMING.region,
        )
        return starter.handler(event, lambda_context(NAMES.starter))

    return run


def runs(stage) -> list[dict]:
    return stage.glue.get_job_runs(JobName=NAMES.job)["JobRuns"]


def test_a_manifest_starts_the_batch_job_on_it(stage, invoke):
    outcome = invoke("manifests/2026-12-01/m-1.json")
    assert outcome["status"] == "STARTED"
    [run] = runs(stage)
    assert run["Id"] == outcome["job_run_id"]
    assert run["Arguments"] == {
        "--manifest_bucket": NAMES.manifest_bucket,
        "--manifest_key": "manifests/2026-12-01/m-1.json",
        "--manifest_version": "v1",
    }


def test_the_same_manifest_event_twice_starts_one_run(stage, invoke):
    first = invoke("manifests/2026-12-01/m-1.json")
    again = invoke("manifests/2026-12-01/m-1.json")
    assert again["job_run_id"] == first["job_run_id"]
    assert len(runs(stage)) == 1


def test_an_object_that_is_not_a_manifest_starts_nothing(stage, invoke):
    outcome = invoke("notes/readme.txt")
    assert outcome["status"] == "REJECTED"
    assert "not a manifest" in outcome["reason"]
    assert runs(stage) == []
