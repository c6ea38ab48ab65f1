"""FileProcessorV2 on real Spark: types, names, metadata columns, rejects and the counting
identity, deterministic output, and whole-file refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from applications_repo.file_processor.job.processor import FileRequest, process_file
from applications_repo.file_processor.job.summary import RunStatus
from shared.glue.storage import LocalStorage
from tests.spark.conftest import JOB_NAME, data_files, header_names, read_rejects, read_rows

TYPED = '''Customer ID,Order Date,Amount (USD),Paid?,Notes,Created At,Score
1,2026-01-31,10.50,yes,"first, with comma",2026-01-31 10:00:00,1.5e2
2,2026-02-01,3,no,,2026-02-01T11:30:00Z,2
3,2026-02-02,-0.25,Y,"quote ""inside""",2026-02-02 12:00:00,NULL
'''


def test_types_are_inferred_and_names_cleaned(run_file):
    summary = run_file(TYPED, name="orders.csv")
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    schema = pq.read_schema(data_files(summary)[0])
    assert {field.name: str(field.type) for field in schema} == {
        "customer_id": "int64",
        "order_date": "date32[day]",
        "amount_usd": "decimal128(38, 2)",
        "paid": "bool",
        "notes": "string",
        "created_at": "timestamp[us, tz=UTC]",
        "score": "double",
        "processed_at": "timestamp[us, tz=UTC]",
        "source_file": "string",
        "processing_job": "string",
    }
    first, second, third = sorted(read_rows(summary), key=lambda r: r["customer_id"])
    assert first["order_date"] == date(2026, 1, 31)
    assert first["amount_usd"] == Decimal("10.50")
    assert first["paid"] is True and second["paid"] is False and third["paid"] is True
    assert first["notes"] == "first, with comma" and third["notes"] == 'quote "inside"'
    assert second["notes"] is None and third["score"] is None
    assert second["created_at"] == datetime(2026, 2, 1, 11, 30, tzinfo=UTC)
    assert summary.columns["Amount (USD)"] == "amount_usd"


def test_metadata_columns_name_the_source_the_job_and_the_time(run_file):
    before = datetime.now(UTC) - timedelta(seconds=1)
    summary = run_file(TYPED, name="orders.csv")
    rows = read_rows(summary)
    assert {row["source_file"] for row in rows} == {summary.source}
    assert {row["processing_job"] for row in rows} == {JOB_NAME}
    [processed_at] = {row["processed_at"] for row in rows}
    assert before <= processed_at <= datetime.now(UTC)


def test_header_names_are_kept_in_the_parquet_metadata(run_file):
    summary = run_file(TYPED, name="orders.csv")
    comments = header_names(pq.read_schema(data_files(summary)[0]))
    assert comments["paid"] == "Paid?" and comments["customer_id"] == "Customer ID"


BAD_ROWS = """id,name,amount
1,alice,10
2,bob
3,carol,7,extra

4,"dan, jr",5
5,eve,12
6,frank,twelve
7,grace,1.5
"""


def test_bad_rows_are_rejected_with_line_and_reason_and_every_row_is_counted(run_file):
    # GIVEN types guessed from the first three lines only (amount looks like an integer)
    summary = run_file(BAD_ROWS, name="people.csv", sample_bytes=30)
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    # THEN the records with the wrong number of fields are rejected, and amount widens to
    # text for 'twelve' (it fits no other type) rather than rejecting the rows after the sample
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (7, 5, 2)
    assert sorted((r["id"], r["name"], r["amount"]) for r in read_rows(summary)) == [
        (1, "alice", "10"),
        (4, "dan, jr", "5"),
        (5, "eve", "12"),
        (6, "frank", "twelve"),
        (7, "grace", "1.5"),
    ]
    assert read_rejects(summary) == [
        {"line": 3, "reason": "expected 3 fields, found 2", "record": "2,bob"},
        {"line": 4, "reason": "expected 3 fields, found 4", "record": "3,carol,7,extra"},
    ]


def test_processing_the_same_object_again_replaces_its_output(run_file):
    first = run_file(TYPED, name="orders.csv")
    second = run_file(TYPED, name="orders.csv")
    assert first.output == second.output
    assert [f.name for f in data_files(first)] == [f.name for f in data_files(second)]
    assert len(read_rows(second)) == 3
    manifests = list(Path(first.output).parents[1].glob("_manifests/orders/*.json"))
    assert len(manifests) == 1


def test_nothing_is_left_in_staging(run_file, tmp_path):
    run_file(BAD_ROWS, name="people.csv", sample_bytes=30)
    assert not (tmp_path / "out" / "_staging").exists()


def test_quoted_fields_spanning_lines_are_one_record(run_file):
    summary = run_file('id,note\n1,"first\nsecond"\n2,plain\n3,"bad\n",x\n', name="notes.csv")
    assert (summary.rows_read, summary.rows_written) == (3, 2)
    assert read_rejects(summary) == [
        {"line": 5, "reason": "expected 2 fields, found 3", "record": '3,"bad\n",x'}
    ]
    assert {r["note"] for r in read_rows(summary)} == {"first\nsecond", "plain"}


def test_a_quoted_newline_after_the_sample_is_still_read_as_one_record(run_file):
    text = "id,note\n" + "".join(f"{i},plain\n" for i in range(1, 200)) + '200,"two\nlines"\n'
    summary = run_file(text, name="late.csv", sample_bytes=64)
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (200, 200, 0)


def test_rejected_lines_are_exact_when_spark_splits_the_file(run_file, spark):
    # GIVEN a file Spark reads in many splits, with bad rows spread through it
    bad = {57, 1200, 2999}
    lines = ["id,value"] + [f"{i},x,extra" if i in bad else f"{i},{i * 3}" for i in range(1, 3001)]
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    try:
        summary = run_file("\n".join(lines) + "\n", name="split.csv")
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    # THEN every bad row is found at its line (header = line 1) and the rest is written
    assert [r["line"] for r in read_rejects(summary)] == [i + 1 for i in sorted(bad)]
    assert [r["record"] for r in read_rejects(summary)] == [f"{i},x,extra" for i in sorted(bad)]
    assert summary.rows_written == 3000 - len(bad)


def test_a_header_only_file_gives_an_empty_table(run_file):
    summary = run_file("a,b\n", name="header.csv")
    assert summary.status is RunStatus.SUCCEEDED
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (0, 0, 0)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file (0 bytes)"),
        (b"\n\n\r\n", "no header line: the file holds only blank lines"),
    ],
)
def test_files_that_cannot_be_processed_are_rejected_whole(run_file, tmp_path, content, reason):
    summary = run_file(content, name="nothing.csv")
    assert (summary.status, summary.error) == (RunStatus.REJECTED, reason)
    assert not (tmp_path / "out").exists()


class BrokenStorage(LocalStorage):
    """Fails while committing, after Spark has written the staged files."""

    def move(self, source: str, target: str) -> None:
        raise OSError("disk full")


def test_a_run_that_fails_reports_one_line_and_leaves_no_partial_output(engine, tmp_path):
    source = tmp_path / "orders.csv"
    source.write_text(TYPED)
    request = FileRequest(str(source), None, str(tmp_path / "out"), JOB_NAME, "run-1")
    summary = process_file(engine, BrokenStorage(), request)
    assert summary.status is RunStatus.FAILED
    assert summary.error == "OSError: disk full"
    assert list((tmp_path / "out").rglob("*.parquet")) == []
