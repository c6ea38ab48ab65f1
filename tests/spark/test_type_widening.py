"""A type guessed from the sample widens when later values need it: no row is rejected for
a type that sampling got wrong, and the values read back are the file's. Both engines."""

from __future__ import annotations

from decimal import Decimal
from typing import BinaryIO

from applications_repo.file_processor.job import csv_blocks
from applications_repo.file_processor.job.arrow_engine import ArrowEngine
from applications_repo.file_processor.job.csv_sample import MAX_SAMPLE_ROWS
from applications_repo.file_processor.job.processor import FileRequest, process_file
from applications_repo.file_processor.job.summary import RunStatus
from shared.glue.storage import LocalStorage
from tests.spark.conftest import read_rows

ROWS = MAX_SAMPLE_ROWS + 5_000
LATE = MAX_SAMPLE_ROWS + 1_000  # after the sample


def late_changes() -> str:
    lines = ["id,amount,code,opened,big_id"]
    for n in range(ROWS):
        amount = "12.75" if n == LATE else str(n)
        code = "AB0001" if n == LATE + 10 else str(1000 + n)
        opened = "not yet" if n == LATE + 20 else "2026-01-02"
        big = "12345678901234567890" if n == LATE + 30 else str(n)
        lines.append(f"{n},{amount},{code},{opened},{big}")
    return "\n".join(lines) + "\n"


def test_late_values_widen_their_columns_instead_of_being_rejected(run_file):
    summary = run_file(late_changes())
    assert summary.status is RunStatus.SUCCEEDED
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (ROWS, ROWS, 0)
    rows = {r["id"]: r for r in read_rows(summary)}
    assert rows[LATE]["amount"] == Decimal("12.75") and rows[0]["amount"] == Decimal("0.00")
    assert rows[LATE + 10]["code"] == "AB0001" and rows[0]["code"] == "1000"
    assert rows[LATE + 20]["opened"] == "not yet" and rows[0]["opened"] == "2026-01-02"
    assert rows[LATE + 30]["big_id"] == Decimal("12345678901234567890")
    assert rows[7]["big_id"] == Decimal(7)


def test_a_file_within_the_sample_is_read_once_for_its_types(run_file):
    summary = run_file("id,amount\n1,2\n2,3.5\n")
    assert [r["amount"] for r in read_rows(summary)] == [Decimal("2.0"), Decimal("3.5")]


def test_values_read_back_are_the_files(run_file):
    summary = run_file(
        "code,account,at\n"
        "007,12345678901234567890,2026-01-02T10:00:00+02:00\n"
        "010,98765432109876543210,2026-01-02 08:30:00Z\n"
    )
    rows = read_rows(summary)
    assert [r["code"] for r in rows] == ["007", "010"]
    assert [r["account"] for r in rows] == [
        Decimal("12345678901234567890"),
        Decimal("98765432109876543210"),
    ]
    assert [r["at"].isoformat() for r in rows] == [
        "2026-01-02T08:00:00+00:00",
        "2026-01-02T08:30:00+00:00",
    ]


class CountingStorage(LocalStorage):
    """Local files, counting how often each is opened."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, uri: str, version: str | None = None, start: int = 0) -> BinaryIO:
        self.opened.append(uri)
        return super().open(uri, version, start)


def test_the_arrow_engine_reads_a_file_whose_sampled_types_hold_once(tmp_path):
    """The sample, then one pass that stages and checks at once; a late misfit costs the
    widening pass and a second staging pass, and gives the widened result."""
    lines = ["id,amount"] + [f"{n},{n}" for n in range(ROWS)]
    clean, late = tmp_path / "in" / "clean.csv", tmp_path / "in" / "late.csv"
    clean.parent.mkdir()
    clean.write_text("\n".join(lines) + "\n")
    late.write_text("\n".join([*lines[:-1], f"{ROWS},12.75"]) + "\n")
    counts = {}
    for source in (clean, late):
        storage = CountingStorage()
        summary = process_file(
            ArrowEngine(),
            storage,
            FileRequest(str(source), None, str(tmp_path / "out"), "FileProcessorV2", "r1"),
        )
        assert summary.status is RunStatus.SUCCEEDED and summary.rows_written == ROWS
        counts[source.stem] = len(storage.opened)
    assert counts == {"clean": 2, "late": 4}


def test_the_widening_pass_reads_records_longer_than_two_blocks(run_file, monkeypatch):
    monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", 4096)
    lines = ["id,amount,note"]
    for n in range(ROWS):
        amount = "12.75" if n == LATE else str(n)
        note = "w" * 40_000 if n == LATE + 1 else "short"
        lines.append(f"{n},{amount},{note}")
    summary = run_file("\n".join(lines) + "\n")
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    rows = {r["id"]: r for r in read_rows(summary)}
    assert rows[LATE]["amount"] == Decimal("12.75")
    assert len(rows[LATE + 1]["note"]) == 40_000
