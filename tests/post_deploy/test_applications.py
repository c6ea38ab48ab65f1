"""Post-deploy integration test of the applications app: an upload to the input bucket is
processed into Parquet (on the single-node function, and by the Glue job with Spark), and
ProcessLegislators runs to SUCCEEDED."""

from __future__ import annotations

import json
import uuid

import pytest

from applications_repo.file_processor.definition import SAMPLES
from applications_repo.file_processor.job.layout import OutputLayout, dataset_name, source_id
from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.legislators.names import LegislatorsNames
from shared.naming import TEST_PREFIX
from tests.post_deploy.checks import parquet_row_count, wait_for_object, wait_for_run

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


def sample_layout(s3, naming, key: str, version: str | None, run_id: str) -> OutputLayout:
    """Where FileProcessorV2 puts the uploaded sample's output."""
    head = s3.head_object(Bucket=naming.input_bucket, Key=key)
    return OutputLayout(
        root=f"s3://{naming.output_bucket}",
        dataset=dataset_name(key),
        source_id=source_id(f"s3://{naming.input_bucket}/{key}", version),
        ingest_date=head["LastModified"].date(),
        run_id=run_id,
    )


def sample_rows(s3, naming, layout: OutputLayout) -> int:
    prefix = layout.data_prefix.removeprefix(f"s3://{naming.output_bucket}/") + "/"
    return parquet_row_count(s3, naming.output_bucket, prefix, layout.source_id)


def test_an_uploaded_csv_becomes_parquet(aws_session, naming, uploaded, run_polling):
    """A small upload runs on the single-node function: its run summary says so."""
    key, version = uploaded
    s3 = aws_session.client("s3")
    layout = sample_layout(s3, naming, key, version, run_id="-")
    summary = json.loads(
        wait_for_object(
            s3,
            naming.output_bucket,
            layout.manifest_file.removeprefix(f"s3://{naming.output_bucket}/"),
            timeout_seconds=run_polling.timeout_seconds,
            poll_seconds=run_polling.poll_seconds,
        )
    )
    assert (summary["status"], summary["engine"]) == ("SUCCEEDED", "arrow"), summary["error"]
    assert summary["rows_written"] == SAMPLE_ROWS
    assert sample_rows(s3, naming, layout) == SAMPLE_ROWS


def test_the_glue_job_processes_an_upload_with_spark(aws_session, naming, uploaded, run_polling):
    """The Glue job, which the trigger starts for files above the single-node size, run
    on the same upload with Spark: same rows, output replaced rather than added to."""
    key, version = uploaded
    glue, s3 = aws_session.client("glue"), aws_session.client("s3")
    arguments = {"--source_bucket": naming.input_bucket, "--source_key": key, "--engine": "spark"}
    glue.start_job_run(
        JobName=FileProcessorNames(naming).job,
        Arguments={**arguments, **({"--source_version": version} if version else {})},
    )
    run = wait_for_run(
        glue,
        FileProcessorNames(naming).job,
        argument="source_key",
        value=key,
        timeout_seconds=run_polling.timeout_seconds,
        poll_seconds=run_polling.poll_seconds,
    )
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    layout = sample_layout(s3, naming, key, version, run_id=run["Id"])
    assert sample_rows(s3, naming, layout) == SAMPLE_ROWS


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
