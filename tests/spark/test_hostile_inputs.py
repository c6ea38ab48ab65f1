"""Files nobody on the team wrote: every case of docs/file-handling.md, each with its decided
behaviour (process, reject rows, or reject the file), never a traceback or partial output."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from applications_repo.file_processor.job import arrow_engine, csv_blocks, spark_engine, staging
from applications_repo.file_processor.job.summary import RunStatus
from tests.spark.conftest import data_files, read_rejects, read_rows


def test_utf8_with_byte_order_mark(run_file):
    summary = run_file(codecs.BOM_UTF8 + "id,näme\n1,Jürgen\n".encode(), name="bom.csv")
    assert read_rows(summary)[0]["name"] == "Jürgen"
    assert summary.columns == {"id": "id", "näme": "name"}


def test_latin1_bytes_are_read_as_latin1(run_file):
    summary = run_file("id,city\n1,Zürich\n2,Málaga\n".encode("latin-1"), name="latin.csv")
    assert {r["city"] for r in read_rows(summary)} == {"Zürich", "Málaga"}


def test_crlf_line_endings_leave_no_carriage_returns(run_file):
    summary = run_file(b"id,name\r\n1,a\r\n2,b\r\n", name="crlf.csv")
    assert sorted(r["name"] for r in read_rows(summary)) == ["a", "b"]


def test_quoted_delimiters_quotes_and_newlines(run_file):
    text = 'id,text\n1,"a, b"\n2,"say ""hi"""\n3,"two\r\nlines"\n'
    summary = run_file(text, name="quoted.csv")
    assert {r["text"] for r in read_rows(summary)} == {"a, b", 'say "hi"', "two\r\nlines"}


def test_a_trailing_delimiter_becomes_an_empty_named_column(run_file):
    summary = run_file("a,b,\n1,2,\n3,4,\n", name="trailing.csv")
    assert summary.rows_written == 2
    assert [f.name for f in pq.read_schema(data_files(summary)[0])][:3] == ["a", "b", "column_3"]
    assert {r["column_3"] for r in read_rows(summary)} == {None}


def test_a_missing_final_newline(run_file):
    assert run_file("a,b\n1,2\n3,4", name="no-newline.csv").rows_written == 2


def test_one_column(run_file):
    summary = run_file("only\nx\ny\n", name="single.csv")
    assert sorted(r["only"] for r in read_rows(summary)) == ["x", "y"]


def test_a_very_wide_file(run_file):
    columns = 1200
    header = ",".join(f"c{i}" for i in range(columns))
    rows = "\n".join(",".join(str(r * i) for i in range(columns)) for r in range(5))
    summary = run_file(f"{header}\n{rows}\n", name="wide.csv")
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert len(pq.read_schema(data_files(summary)[0])) == columns + 3


def test_a_field_longer_than_the_sample(run_file):
    long_value = "x" * (3 * 1024 * 1024)
    summary = run_file(f"id,blob\n1,{long_value}\n2,short\n", name="long.csv")
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert sorted(len(r["blob"]) for r in read_rows(summary)) == [5, len(long_value)]


def test_a_record_longer_than_two_blocks(run_file, monkeypatch):
    # pyarrow's reader needs a record within two blocks: the read starts again with larger ones
    monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", 4096)
    long_value = "y" * 40_000
    summary = run_file(f"id,blob\n1,{long_value}\n2,short\n", name="longer.csv")
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    assert sorted(len(r["blob"]) for r in read_rows(summary)) == [5, len(long_value)]


def test_a_record_past_the_largest_block_rejects_the_file_for_arrow(run_file, engine, monkeypatch):
    monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", 256 * 1024)
    monkeypatch.setattr(csv_blocks, "MAX_BLOCK_BYTES", 1024 * 1024)
    summary = run_file(f"id,blob\n1,{'z' * 3 * 1024 * 1024}\n2,short\n", name="too-long.csv")
    if engine.name == "spark":  # Spark reads a record of any length
        assert summary.status is RunStatus.SUCCEEDED, summary.error
        return
    assert summary.status is RunStatus.REJECTED
    assert summary.error == "a record is longer than 1 MiB: is a quote left open?"


def test_header_names_that_collide_or_mean_nothing(run_file):
    summary = run_file("Name,name,,select,Größe,a-b,a_b\n1,2,3,4,5,6,7\n", name="names.csv")
    assert list(summary.columns.values()) == [
        "name",
        "name_2",
        "column_3",
        "select_",
        "grosse",
        "a_b",
        "a_b_2",
    ]
    assert summary.rows_written == 1


def test_mixed_types_in_one_column_stay_text(run_file):
    summary = run_file("id,code\n1,42\n2,A7\n3,8\n", name="mixed.csv")
    assert {r["code"] for r in read_rows(summary)} == {"42", "A7", "8"}


def test_integers_too_large_even_for_a_decimal_stay_text(run_file):
    huge = "9" * 40
    summary = run_file(f"id,n\n1,{huge}\n", name="huge.csv")
    assert read_rows(summary)[0]["n"] == huge


def test_locale_style_numbers_stay_text(run_file):
    summary = run_file('id,amount\n1,"1.234,56"\n2,"2.000,00"\n', name="locale.csv")
    assert {r["amount"] for r in read_rows(summary)} == {"1.234,56", "2.000,00"}


def test_dates_in_one_layout_are_dates_and_mixed_layouts_stay_text(run_file):
    same = run_file("d\n31/01/2026\n01/02/2026\n", name="dates.csv")
    assert {str(r["d"]) for r in read_rows(same)} == {"2026-01-31", "2026-02-01"}
    mixed = run_file("d\n2026-01-31\n31/01/2026\n", name="mixed-dates.csv")
    assert {r["d"] for r in read_rows(mixed)} == {"2026-01-31", "31/01/2026"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            gzip.compress(b"a,b\n1,2\n"),
            "gzip-compressed data, not CSV text: upload the CSV uncompressed",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data (NUL bytes), not CSV text"),
        ("a,b\n1,2\n".encode("utf-16"), "UTF-16 text, not CSV text: save it as UTF-8"),
        (
            b"PK\x03\x04\x14\x00",
            "a zip archive (or an .xlsx workbook), not CSV text: upload the CSV uncompressed",
        ),
    ],
    ids=["gzip", "binary", "utf16", "zip"],
)
def test_content_that_is_not_csv_text_is_rejected_whole(run_file, tmp_path, content, reason):
    summary = run_file(content, name="pretend.csv")
    assert (summary.status, summary.error) == (RunStatus.REJECTED, reason)
    assert not (tmp_path / "out").exists()


def test_too_many_bad_rows_reject_the_file(run_file, monkeypatch, tmp_path):
    monkeypatch.setattr(staging, "MAX_REJECTED_ROWS", 2)
    monkeypatch.setattr(spark_engine, "MAX_REJECTED_ROWS", 2)
    monkeypatch.setattr(arrow_engine, "MAX_REJECTED_ROWS", 2)
    summary = run_file("a,b\n1\n2\n3\n4,5\n", name="mostly-bad.csv")
    assert summary.status is RunStatus.REJECTED
    assert summary.error.startswith("3 of 4 rows are malformed")
    assert not list((tmp_path / "out").rglob("*.parquet"))


def test_row_rejects_hold_the_record_as_written(run_file):
    summary = run_file("id,n\n1,2\n2,3,4\n", name="ragged.csv")
    [reject] = read_rejects(summary)
    assert reject == {"line": 3, "reason": "expected 2 fields, found 3", "record": "2,3,4"}
    assert Path(summary.rejects).name.endswith(".jsonl")


def test_lines_are_counted_across_blank_lines_and_multi_line_records(run_file):
    text = '\n\nid,note\n1,"two\nlines"\n\n2,ok\n3,x,y\n4,"a\nb",c\n5,fine\n'
    summary = run_file(text, name="lines.csv")
    assert [(r["line"], r["record"]) for r in read_rejects(summary)] == [
        (8, "3,x,y"),
        (9, '4,"a\nb",c'),
    ]
    assert summary.rows_written == 3


def test_records_set_aside_in_later_blocks_keep_their_lines(run_file, monkeypatch):
    # the Arrow engine's fast read has no record numbers: a file with ragged records is
    # read again block by block, and every line still comes out right
    monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", 4096)
    ragged = {700, 1400, 2900}
    lines = ["id,note"] + [
        f"{i},x,extra" if i in ragged else f'{i},"note\n{i}"' for i in range(3000)
    ]
    summary = run_file("\n".join(lines) + "\n", name="blocks.csv")
    line_of = {i: 2 + 2 * i - sum(1 for r in ragged if r < i) for i in ragged}
    assert [(r["line"], r["record"]) for r in read_rejects(summary)] == [
        (line_of[i], f"{i},x,extra") for i in sorted(ragged)
    ]
    assert (summary.rows_read, summary.rows_written) == (3000, 2997)
