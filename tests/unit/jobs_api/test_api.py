"""Every route of jobs-api and its errors, against moto: uploads with their pre-signed POST,
the state rules, the idempotency key, paging across pages, downloads, CORS."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from applications_repo.jobs_api.jobs import JobStatus
from applications_repo.jobs_api.models import PARQUET_TYPE, PROBLEM
from tests.unit.jobs_api.conftest import NAMES, SETTINGS, Stage, parquet_bytes


def problem(reply, status: int) -> str:
    assert reply.status == status, reply
    assert reply.headers["content-type"] == PROBLEM
    assert {"title", "detail"} <= set(reply.body)
    return reply.body["detail"]


def test_an_upload_creates_an_uploading_job_and_a_presigned_post_with_conditions(stage: Stage):
    reply = stage.request("POST", "/upload", {"filename": "trips.parquet", "sizeBytes": 1234})
    assert reply.status == 201
    job_id = reply.body["jobId"]
    assert reply.body["status"] == "UPLOADING"
    assert reply.headers["location"] == f"/job-status/{job_id}"
    fields = reply.body["upload"]["fields"]
    assert fields["key"] == f"uploads/{job_id}/trips.parquet"
    assert fields["Content-Type"] == PARQUET_TYPE
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, SETTINGS.max_upload_bytes] in policy["conditions"]
    assert {"Content-Type": PARQUET_TYPE} in policy["conditions"]
    assert stage.table.get(job_id)["processing_status"] == "UPLOADING"


def test_an_oversized_upload_is_refused_with_413(stage: Stage):
    size = SETTINGS.max_upload_bytes + 1
    reply = stage.request("POST", "/upload", {"filename": "big.parquet", "sizeBytes": size})
    assert problem(reply, 413) == (
        f"big.parquet is {size} bytes; the limit is {SETTINGS.max_upload_bytes} bytes"
    )


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"sizeBytes": 10}, "body.filename"),
        ({"filename": "../etc/passwd", "sizeBytes": 10}, "body.filename"),
        ({"filename": "a.parquet", "sizeBytes": 0}, "body.sizeBytes"),
        ({"filename": "a.parquet", "sizeBytes": 10, "owner": "x"}, "body.owner"),
        ("not json", "body"),
    ],
)
def test_a_bad_upload_body_is_a_422_naming_the_field(stage: Stage, body, where):
    reply = stage.request("POST", "/upload", body)
    detail = problem(reply, 422)
    assert where in detail


def test_a_body_that_is_not_json_is_a_415(stage: Stage):
    reply = stage.request(
        "POST", "/upload", "filename=a", headers={"Content-Type": "multipart/form-data"}
    )
    assert problem(reply, 415) == "the body must be application/json, not multipart/form-data"


def test_an_object_confirms_its_job_once(stage: Stage):
    job_id = stage.upload()
    assert stage.confirm(job_id)["job_status"] == "UPLOADED"
    assert stage.confirm(job_id) == {
        "status": "IGNORED",
        "job": job_id,
        "reason": "job is UPLOADED",
    }
    job = stage.request("GET", f"/job-status/{job_id}").body
    assert job["status"] == "UPLOADED"
    assert job["sizeBytes"] == len(parquet_bytes())
    assert [h["status"] for h in job["history"]] == ["UPLOADING", "UPLOADED"]


def test_a_file_that_is_not_parquet_is_rejected_with_its_reason(stage: Stage):
    job_id = stage.upload("notes.parquet", b"id,name\n1,a\n" * 3)
    assert stage.confirm(job_id, "notes.parquet")["job_status"] == "REJECTED"
    job = stage.request("GET", f"/job-status/{job_id}").body
    assert job["status"] == "REJECTED"
    assert "does not start with Parquet's magic bytes PAR1" in job["error"]
    assert f"uploads/{job_id}/notes.parquet" in job["error"]
    trigger = stage.request("POST", "/trigger-job", {"jobId": job_id})
    assert problem(trigger, 409) == (
        f"job {job_id} is REJECTED; only an UPLOADED job can be started"
    )


def test_triggering_a_job_still_uploading_is_a_409_with_the_reason(stage: Stage):
    job_id = stage.upload()
    reply = stage.request("POST", "/trigger-job", {"jobId": job_id})
    assert problem(reply, 409) == f"job {job_id} is UPLOADING; only an UPLOADED job can be started"


def test_a_trigger_starts_one_run_and_a_second_trigger_is_a_409(stage: Stage):
    job_id = stage.uploaded()
    first = stage.request("POST", "/trigger-job", {"jobId": job_id})
    assert first.status == 202
    assert first.body["status"] == "PENDING"
    runs = stage.glue.get_job_runs(JobName=NAMES.job)["JobRuns"]
    assert len(runs) == 1
    assert runs[0]["Arguments"]["--file_id"] == job_id
    second = stage.request("POST", "/trigger-job", {"jobId": job_id})
    assert problem(second, 409) == f"job {job_id} is PENDING; only an UPLOADED job can be started"


def test_an_idempotency_key_makes_a_retried_trigger_answer_as_the_first(stage: Stage):
    job_id = stage.uploaded()
    headers = {"Idempotency-Key": "click-1"}
    headers |= {"Content-Type": "application/json"}
    first = stage.request("POST", "/trigger-job", {"jobId": job_id}, headers=headers)
    again = stage.request("POST", "/trigger-job", {"jobId": job_id}, headers=headers)
    assert first.status == again.status == 202
    assert again.body == first.body
    assert len(stage.glue.get_job_runs(JobName=NAMES.job)["JobRuns"]) == 1


def test_an_idempotency_key_reused_for_another_job_is_a_422(stage: Stage):
    headers = {"Idempotency-Key": "click-2", "Content-Type": "application/json"}
    stage.request("POST", "/trigger-job", {"jobId": stage.uploaded()}, headers=headers)
    other = stage.uploaded("other.parquet")
    reply = stage.request("POST", "/trigger-job", {"jobId": other}, headers=headers)
    assert problem(reply, 422) == "Idempotency-Key 'click-2' was used for another job"
    assert stage.table.get(other)["processing_status"] == "UPLOADED"


def test_a_refused_trigger_is_not_remembered_by_its_key(stage: Stage):
    job_id = stage.upload()
    headers = {"Idempotency-Key": "early", "Content-Type": "application/json"}
    assert stage.request("POST", "/trigger-job", {"jobId": job_id}, headers=headers).status == 409
    stage.confirm(job_id)
    assert stage.request("POST", "/trigger-job", {"jobId": job_id}, headers=headers).status == 202


def test_an_unknown_job_is_a_404_on_every_route(stage: Stage):
    for method, path, body in (
        ("GET", "/job-status/nope", None),
        ("GET", "/download/nope", None),
        ("POST", "/jobs/nope/cancel", None),
        ("POST", "/jobs/nope/retry", None),
        ("POST", "/trigger-job", {"jobId": "nope"}),
    ):
        assert problem(stage.request(method, path, body), 404) == "no job 'nope'", path


def test_an_unknown_route_is_a_404_problem(stage: Stage):
    assert problem(stage.request("GET", "/nothing-here"), 404) == "no route /nothing-here"


def test_jobs_page_newest_first_across_pages_with_an_opaque_token(stage: Stage):
    made = [stage.upload(f"f{i}.parquet") for i in range(7)]
    seen, token, pages = [], None, 0
    while True:
        query = {"limit": "3", **({"next": token} if token else {})}
        page = stage.request("GET", "/jobs", query=query).body
        seen += [job["jobId"] for job in page["jobs"]]
        pages += 1
        token = page["next"]
        if token is None:
            break
        assert len(page["jobs"]) == 3
    assert pages >= 3
    assert seen == list(reversed(made))


def test_jobs_filter_by_status_through_its_index(stage: Stage):
    uploading = stage.upload("a.parquet")
    uploaded = stage.uploaded("b.parquet")
    page = stage.request("GET", "/jobs", query={"status": "UPLOADED"}).body
    assert [job["jobId"] for job in page["jobs"]] == [uploaded]
    page = stage.request("GET", "/jobs", query={"status": "UPLOADING"}).body
    assert [job["jobId"] for job in page["jobs"]] == [uploading]


def test_a_token_of_another_listing_or_not_issued_is_a_400(stage: Stage):
    for i in range(3):
        stage.upload(f"f{i}.parquet")
    token = stage.request("GET", "/jobs", query={"limit": "1"}).body["next"]
    mixed = stage.request("GET", "/jobs", query={"status": "UPLOADING", "next": token})
    assert "was the status filter changed?" in problem(mixed, 400)
    forged = stage.request("GET", "/jobs", query={"next": "not-a-token"})
    assert problem(forged, 400) == "next: not a token this API issued"


def test_a_page_larger_than_allowed_is_refused(stage: Stage):
    reply = stage.request("GET", "/jobs", query={"limit": "101"})
    assert "query.limit: Input should be less than or equal to 100" in problem(reply, 422)
    assert "query.status" in problem(stage.request("GET", "/jobs", query={"status": "DONE"}), 422)


def test_cancel_is_allowed_before_the_conversion_runs_only(stage: Stage):
    job_id = stage.uploaded()
    assert stage.request("POST", f"/jobs/{job_id}/cancel").body["status"] == "CANCELLED"
    again = stage.request("POST", f"/jobs/{job_id}/cancel")
    assert "only an UPLOADING, UPLOADED or PENDING job can be cancelled" in problem(again, 409)
    running = stage.uploaded("r.parquet")
    stage.request("POST", "/trigger-job", {"jobId": running})
    item = stage.table.get(running)
    assert stage.table.begin_run(running, item["start_token"], "jr_1", "spark")
    assert "is RUNNING" in problem(stage.request("POST", f"/jobs/{running}/cancel"), 409)


def test_a_cancelled_job_cannot_begin_its_run(stage: Stage):
    job_id = stage.uploaded()
    stage.request("POST", "/trigger-job", {"jobId": job_id})
    token = stage.table.get(job_id)["start_token"]
    stage.request("POST", f"/jobs/{job_id}/cancel")
    assert not stage.table.begin_run(job_id, token, "jr_1", "spark")
    assert stage.table.get(job_id)["processing_status"] == "CANCELLED"


def test_retry_runs_a_failed_or_cancelled_upload_again(stage: Stage):
    never_uploaded = stage.upload()
    stage.request("POST", f"/jobs/{never_uploaded}/cancel")
    refused = stage.request("POST", f"/jobs/{never_uploaded}/retry")
    assert "only a FAILED job, or a CANCELLED one uploaded" in problem(refused, 409)
    job_id = stage.uploaded("c.parquet")
    stage.request("POST", f"/jobs/{job_id}/cancel")
    retried = stage.request("POST", f"/jobs/{job_id}/retry")
    assert retried.status == 202
    assert retried.body["status"] == "PENDING"
    assert len(stage.glue.get_job_runs(JobName=NAMES.job)["JobRuns"]) == 1


def test_download_is_a_short_lived_presigned_get_of_a_succeeded_job(stage: Stage):
    job_id = stage.uploaded()
    assert "only a SUCCEEDED job" in problem(stage.request("GET", f"/download/{job_id}"), 409)
    stage.table.move(job_id, (JobStatus.UPLOADED,), JobStatus.SUCCEEDED, "test", {})
    reply = stage.request("GET", f"/download/{job_id}")
    assert reply.status == 200
    url = urlsplit(reply.body["url"])
    assert url.path.endswith(f"/jobs/{job_id}/trips.json")
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == [str(SETTINGS.download_url_seconds)]
    assert query["response-content-disposition"] == ['attachment; filename="trips.json"']
    assert reply.body["expiresInSeconds"] == SETTINGS.download_url_seconds


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:8080"])
def test_cors_answers_the_allowed_origins(stage: Stage, origin: str):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    preflight = stage.request("OPTIONS", "/upload", headers=headers)
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "Idempotency-Key" in preflight.headers["access-control-allow-headers"]
    listed = stage.request("GET", "/jobs", headers={"Origin": origin})
    assert listed.headers["access-control-allow-origin"] == origin


def test_cors_does_not_answer_another_origin(stage: Stage):
    reply = stage.request("GET", "/jobs", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in reply.headers


def test_the_openapi_document_and_its_page_are_served(stage: Stage):
    document = stage.request("GET", "/openapi.json").body
    assert set(document["paths"]) == {
        "/upload",
        "/trigger-job",
        "/job-status/{jobId}",
        "/download/{jobId}",
        "/jobs",
        "/jobs/{jobId}/cancel",
        "/jobs/{jobId}/retry",
    }
    page = stage.request("GET", "/docs")
    assert page.status == 200
    assert "swagger" in page.body.lower()
