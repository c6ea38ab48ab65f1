"""The local Glue executor's progress line says how a run ended and, for a run that ended
normally but refused its input, what the job reported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from applications_repo.file_processor.job.summary import RunStatus, RunSummary
from shared.local.glue_executor import _job_report, describe_outcome
from shared.outcomes import JobReport

STARTED = datetime(2026, 11, 22, tzinfo=UTC)
GZIP = "gzip-compressed data, not CSV text: upload the CSV uncompressed"


@pytest.mark.parametrize(
    ("status", "error", "failure", "described"),
    [
        (RunStatus.SUCCEEDED, None, None, ""),
        (RunStatus.REJECTED, GZIP, None, f", the job reported REJECTED: {GZIP}"),
        (RunStatus.FAILED, "KeyError: 'x'", "KeyError: 'x'", ": KeyError: 'x'"),
    ],
)
def test_the_outcome_names_what_the_job_reported(status, error, failure, described):
    summary = RunSummary.ended("s3://in/broken/compressed.csv", status, STARTED, error=error)
    assert describe_outcome(summary.job_report(), failure) == described


def test_a_plain_report_adds_nothing_and_anything_else_breaks_the_contract():
    assert describe_outcome(JobReport(rows_read=7), None) == ""
    assert describe_outcome(None, None) == ""
    with pytest.raises(TypeError, match="returned dict, not a JobReport"):
        _job_report({"rows": 7}, "some.job:run")
