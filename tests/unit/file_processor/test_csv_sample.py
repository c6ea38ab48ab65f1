"""The sample: header, records, encoding, multi-line records, from the first bytes only."""

from __future__ import annotations

import codecs
import io

from applications_repo.file_processor.job.csv_sample import LATIN1, UTF8, read_sample


def sample_of(data: bytes, size: int = 1024):
    return read_sample(io.BytesIO(data), size)


def test_header_and_records():
    sample = sample_of(b"a,b\n1,2\n\n3,4\n")
    assert sample.header == ["a", "b"]
    assert sample.rows == [["1", "2"], ["3", "4"]]
    assert sample.complete and not sample.multiline and sample.encoding == UTF8


def test_byte_order_mark_is_not_part_of_the_first_name():
    sample = sample_of(codecs.BOM_UTF8 + "id,näme\r\n1,x\r\n".encode())
    assert sample.has_bom and sample.header == ["id", "näme"]


def test_bytes_that_are_not_utf8_are_read_as_latin1():
    sample = sample_of("id,name\n1,Müller\n".encode("latin-1"))
    assert sample.encoding == LATIN1 and sample.rows == [["1", "Müller"]]


def test_quoted_newlines_mark_the_file_multiline():
    assert sample_of(b'id,note\n1,"two\nlines"\n').multiline


def test_a_cut_sample_keeps_whole_lines_only():
    data = b"id,name\n" + b"".join(b"%d,name-%d\n" % (i, i) for i in range(100))
    sample = sample_of(data, size=50)
    assert not sample.complete
    assert all(len(row) == 2 and row[1].startswith("name-") for row in sample.rows)


def test_a_multibyte_character_cut_by_the_sample_is_not_an_encoding_error():
    data = b"id,name\n1," + "é".encode() * 40
    assert sample_of(data, size=len(data) - 1).encoding == UTF8
