"""What the builder accepts: a size in range and first lines that are JSON objects."""

from __future__ import annotations

import pytest

from applications_repo.ndjson_batching.validation import content_problem, size_problem


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (99, "99 bytes is below the 100-byte minimum"),
        (100, None),
        (1000, None),
        (1001, "1001 bytes is above the 1000-byte maximum"),
    ],
)
def test_size_range_is_inclusive(size, expected):
    assert size_problem(size, 100, 1000) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"a": 1}\n{"a": 2}\n', None),
        (b'{"a": 1}\r\n\n  \n{"a": 2}', None),
        (b'{"a": 1}\n{"a": \n', "line 2: not JSON (Expecting value at column 7): '{\"a\":'"),
        (b'{"a": 1}\n[1, 2]\n', "line 2: an array, not a JSON object: '[1, 2]'"),
        (b"42\n", "line 1: a number, not a JSON object: '42'"),
        (b'"text"\n', "line 1: a string, not a JSON object: '\"text\"'"),
        (b"null\n", "line 1: null, not a JSON object: 'null'"),
        (b"\n \n", "no JSON lines: the file is blank"),
        (b'{"a": "\xff"}\n', "line 1: not UTF-8 text (byte 7)"),
        (b"a,b\n1,2\n", "line 1: not JSON (Expecting value at column 1): 'a,b'"),
    ],
)
def test_first_lines_must_be_json_objects(head, expected):
    assert content_problem(head, complete=True, lines=5) == expected


def test_only_the_first_lines_are_checked():
    head = b'{"a": 1}\n{"a": 2}\nnot json\n'
    assert content_problem(head, complete=True, lines=2) is None
    assert content_problem(head, complete=True, lines=3) == (
        "line 3: not JSON (Expecting value at column 1): 'not json'"
    )


def test_a_line_cut_by_the_read_is_not_judged():
    """The last line of a partial read may end mid-object: it is not checked."""
    head = b'{"a": 1}\n{"a": 2, "b": "cut he'
    assert content_problem(head, complete=False, lines=5) is None


def test_a_first_line_longer_than_the_read_must_open_an_object():
    assert content_problem(b'  {"a": "one long line', complete=False, lines=5) is None
    assert content_problem(b"[1, 2, 3, 4", complete=False, lines=5) == (
        "line 1: not a JSON object (it does not start with '{'): '[1, 2, 3, 4'"
    )


def test_a_byte_order_mark_is_not_part_of_the_first_line():
    """Spreadsheet and Windows tools write one."""
    assert content_problem(b'\xef\xbb\xbf{"a": 1}\n', complete=True, lines=5) is None
