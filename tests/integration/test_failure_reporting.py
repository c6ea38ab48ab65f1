"""A run that fails in the local run is reported as it would be in AWS: FAILED in Glue with
its error, its log kept, an alert on the stage's topic, and a non-zero exit."""

from __future__ import annotations

import pytest

from applications_repo.file_processor.names import FileProcessorNames
from shared.local.run import summary

pytestmark = pytest.mark.integration


def test_a_failed_run_is_reported_with_its_error_log_and_alert(local_stage, tmp_path):
    # GIVEN the catalog database is gone, so the job fails when it registers its table
    naming = local_stage.naming
    local_stage.session.client("glue").delete_database(Name=naming.database)
    path = tmp_path / "doomed.csv"
    path.write_text("id\n1\n")
    # WHEN a CSV is uploaded and processed
    upload = local_stage.upload(path, "doomed/doomed.csv")
    local_stage.wait([upload])
    [row] = summary(local_stage, [upload], [])
    # THEN Glue holds a FAILED run with the error, the summary names it and the log
    assert row.state == "FAILED"
    assert row.note.startswith("EntityNotFoundException")
    glue = local_stage.session.client("glue")
    [run] = [
        r
        for r in glue.get_job_runs(JobName=FileProcessorNames(naming).job)["JobRuns"]
        if r["Arguments"]["--source_key"] == "doomed/doomed.csv"
    ]
    assert run["JobRunState"] == "FAILED" and "EntityNotFoundException" in run["ErrorMessage"]
    record = local_stage.executor.runs[run["Id"]]
    assert "EntityNotFoundException" in record.log_file.read_text()
    # AND the run monitor alerted the stage's topic with the job, the run and the source
    [subject] = local_stage.alerts()
    assert subject.startswith(
        f"[dev] {FileProcessorNames(naming).job} FAILED: s3://{naming.input_bucket}/doomed/"
    )
