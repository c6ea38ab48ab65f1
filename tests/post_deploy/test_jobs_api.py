"""Post-deploy test of jobs-api, through its REST API as the web UI calls it: an uploaded
Parquet file becomes a job that S3's event confirms, is converted once however often it is
triggered with one Idempotency-Key, and its JSON downloads by a pre-signed GET; the errors
are problem details."""

from __future__ import annotations

import json

from applications_repo.parquet_to_json.definition import SAMPLES

SAMPLE = SAMPLES / "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet"
SAMPLE_ROWS = 5000


def test_an_uploaded_file_is_converted_and_downloads_as_json(jobs_api, run_polling):
    job_id = jobs_api.upload(SAMPLE)
    uploaded = jobs_api.wait(job_id, ("UPLOADED", "REJECTED"), run_polling.timeout_seconds)
    assert uploaded["status"] == "UPLOADED", uploaded
    first = jobs_api.trigger(job_id, key=f"post-deploy-{job_id}")
    again = jobs_api.trigger(job_id, key=f"post-deploy-{job_id}")
    assert first.status == again.status == 202, (first, again)
    assert again.body["jobId"] == job_id
    done = jobs_api.wait(job_id, timeout=run_polling.timeout_seconds)
    assert done["status"] == "SUCCEEDED", done
    assert done["records"] == SAMPLE_ROWS
    statuses = [entry["status"] for entry in done["history"]]
    assert statuses == ["UPLOADING", "UPLOADED", "PENDING", "RUNNING", "SUCCEEDED"]
    lines = jobs_api.download(job_id).decode().splitlines()
    assert len(lines) == SAMPLE_ROWS
    assert "VendorID" in json.loads(lines[0])


def test_an_unknown_job_is_a_404_problem(jobs_api):
    answer = jobs_api.call("GET", "/job-status/no-such-job")
    assert answer.status == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.body["detail"] == "no job 'no-such-job'"
