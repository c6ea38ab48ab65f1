"""Tab-, pipe- and semicolon-separated exports and ``sep=`` files keep their columns; a file
whose delimiter cannot be told is rejected with that reason; R's and pandas' ``NA``-style
tokens are missing values in typed columns and values in text columns. Both engines."""

from __future__ import annotations

import pytest

from applications_repo.file_processor.job.summary import RunStatus
from tests.spark.conftest import read_rejects, read_rows


@pytest.mark.parametrize(
    "text",
    [
        "id\tcity\tscore\n1\tOslo\t2.5\n2\tLima\t3.5\n",
        "id|city|score\n1|Oslo|2.5\n2|Lima|3.5\n",
        "id;city;score\n1;Oslo;2.5\n2;Lima;3.5\n",
        "sep=;\nid;city;score\n1;Oslo;2.5\n2;Lima;3.5\n",
        "SEP=|\r\nid|city|score\r\n1|Oslo|2.5\r\n2|Lima|3.5\r\n",
    ],
    ids=["tab", "pipe", "semicolon", "sep-line", "sep-line-crlf"],
)
def test_each_delimiter_keeps_the_columns(run_file, text):
    summary = run_file(text)
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    rows = read_rows(summary)
    assert [(r["id"], r["city"], r["score"]) for r in rows] == [(1, "Oslo", 2.5), (2, "Lima", 3.5)]
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (2, 2, 0)


def test_a_sep_line_file_locates_its_bad_rows_by_line(run_file):
    summary = run_file("sep=;\nid;n\n1;2\n2;5;9\n3;4\n")
    assert (summary.rows_written, summary.rows_rejected) == (2, 1)
    [reject] = read_rejects(summary)
    assert (reject["line"], reject["record"]) == (4, "2;5;9")
    assert "found 3" in reject["reason"]


def test_a_file_whose_delimiter_cannot_be_told_is_rejected_with_that_reason(run_file):
    summary = run_file("a,b;c,d\n1,2;3,4\n5,6;7,8\n")
    assert summary.status is RunStatus.REJECTED
    assert summary.error == (
        "cannot tell the delimiter: comma 3 columns and semicolon 2 columns fit the first "
        "lines alike; add a first line naming it, such as sep=;"
    )


def test_a_one_column_file_is_one_column(run_file):
    summary = run_file("id\n1\n2\n")
    assert [r["id"] for r in read_rows(summary)] == [1, 2]


def test_na_tokens_are_missing_in_typed_columns_and_values_in_text(run_file):
    summary = run_file(
        "dep_time,arr_delay,day,country\n"
        "517,11,2013-01-01,NA\n"
        "NA,NaN,NA,Namibia\n"
        "-,.,N/A,N/A\n"
        "533,20,2013-01-02,-\n"
    )
    assert summary.status is RunStatus.SUCCEEDED
    assert summary.rows_rejected == 0
    rows = read_rows(summary)
    assert [r["dep_time"] for r in rows] == [517, None, None, 533]
    assert [r["arr_delay"] for r in rows] == [11, None, None, 20]
    assert [str(r["day"]) if r["day"] else None for r in rows] == [
        "2013-01-01",
        None,
        None,
        "2013-01-02",
    ]
    assert [r["country"] for r in rows] == ["NA", "Namibia", "N/A", "-"]
