"""Post-deploy integration test of the applications app: an upload to the input bucket is
processed into Parquet, and ProcessLegislators runs to SUCCEEDED."""

from __future__ import annotations

import uuid

import pytest

from applications_repo.file_processor.definition import SAMPLES
from applications_repo.file_processor.job.layout import OutputLayout, dataset_name, source_id
from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.legislators.names import LegislatorsNames
from shared.naming import TEST_PREFIX
from tests.post_deploy.checks import parquet_row_count, wait_for_run

SAMPLE = SAMPLES / "sales" / "2026-11-01.csv"
SAMPLE_ROWS = 8


@pytest.fixture
def uploaded(aws_session, naming):
    """The sample CSV, uploaded under the integration-test prefix; removed afterwards."""
    s3 = aws_session.client("s3")
    key = f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}/{SAMPLE.name}"
    put = s3.put_object(Bucket=naming.input_bucket, Key=key, Body=SAMPLE.read_bytes())
    yield key, put.get("VersionId")
    s3.delete_object(Bucket=naming.input_bucket, Key=key)


def test_an_uploaded_csv_becomes_parquet(aws_session, naming, uploaded, run_polling):
    key, version = uploaded
    glue, s3 = aws_session.client("glue"), aws_session.client("s3")
    run = wait_for_run(
        glue,
        FileProcessorNames(naming).job,
        argument="source_key",
        value=key,
        timeout_seconds=run_polling.timeout_seconds,
        poll_seconds=run_polling.poll_seconds,
    )
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    head = s3.head_object(Bucket=naming.input_bucket, Key=key)
    layout = OutputLayout(
        root=f"s3://{naming.output_bucket}",
        dataset=dataset_name(key),
        source_id=source_id(f"s3://{naming.input_bucket}/{key}", version),
        ingest_date=head["LastModified"].date(),
        run_id=run["Id"],
    )
    prefix = layout.data_prefix.removeprefix(f"s3://{naming.output_bucket}/") + "/"
    assert parquet_row_count(s3, naming.output_bucket, prefix, layout.source_id) == SAMPLE_ROWS


def test_process_legislators_succeeds(aws_session, naming, run_polling):
    glue = aws_session.client("glue")
    marker = uuid.uuid4().hex
    glue.start_job_run(
        JobName=LegislatorsNames(naming).job, Arguments={"--post_deploy_run": marker}
    )
    run = wait_for_run(
        glue,
        LegislatorsNames(naming).job,
        argument="post_deploy_run",
        value=marker,
        timeout_seconds=run_polling.timeout_seconds,
        poll_seconds=run_polling.poll_seconds,
    )
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
