"""Rejected rows are mapped back to their line and text, the way Spark split the file."""

from __future__ import annotations

import io

from applications_repo.file_processor.job.record_locator import (
    LocatedRecord,
    RecordPosition,
    locate_records,
)

LINES = b"id,name\n1,a\n\n2,b\r\n3,c\n4,d\n5,e\n"


def test_rows_of_a_single_split_skip_the_header_and_blank_lines():
    whole = RecordPosition(0, len(LINES), 2)
    found = locate_records(io.BytesIO(LINES), [whole], encoding="UTF-8", multiline=False)
    assert found == {whole: LocatedRecord(5, "3,c")}


def test_rows_of_a_later_split_start_after_the_line_the_split_begins_in():
    # GIVEN Spark split the file at byte 14, inside the line "2,b\r\n" (bytes 13-17)
    first, second = (0, 14), (14, len(LINES) - 14)
    positions = [RecordPosition(*first, 1), RecordPosition(*second, 0), RecordPosition(*second, 2)]
    found = locate_records(io.BytesIO(LINES), positions, encoding="UTF-8", multiline=False)
    # THEN the line that straddles the boundary belongs to the first split
    assert found[positions[0]] == LocatedRecord(4, "2,b")
    assert found[positions[1]] == LocatedRecord(5, "3,c")
    assert found[positions[2]] == LocatedRecord(7, "5,e")


def test_multiline_records_are_reported_at_their_first_line_with_their_whole_text():
    data = b'id,note\n1,"a\nb"\n\n2,short\n3,"x\r\ny",extra\n'
    positions = [RecordPosition(0, len(data), 0), RecordPosition(0, len(data), 2)]
    found = locate_records(io.BytesIO(data), positions, encoding="UTF-8", multiline=True)
    assert found[positions[0]] == LocatedRecord(2, '1,"a\nb"')
    assert found[positions[1]] == LocatedRecord(6, '3,"x\r\ny",extra')
