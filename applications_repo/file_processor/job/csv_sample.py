"""The bounded sample a file's layout and types are inferred from: its first bytes only."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO

SAMPLE_BYTES = 1024 * 1024
UNCOMPRESSED = "upload the CSV uncompressed"
EXPORT_CSV = "export it as CSV"
AS_UTF8 = "save it as UTF-8"
# File signatures of content that is not CSV text: what it is, and what to do instead.
SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed data", UNCOMPRESSED),
    (b"PK\x03\x04", "a zip archive (or an .xlsx workbook)", UNCOMPRESSED),
    (b"BZh", "bzip2-compressed data", UNCOMPRESSED),
    (b"\xfd7zXZ\x00", "xz-compressed data", UNCOMPRESSED),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data", UNCOMPRESSED),
    (b"PAR1", "a Parquet file", EXPORT_CSV),
    (b"\xd0\xcf\x11\xe0", "an OLE2 document (an .xls workbook?)", EXPORT_CSV),
    (b"%PDF", "a PDF document", EXPORT_CSV),
    (codecs.BOM_UTF32_LE, "UTF-32 text", AS_UTF8),
    (codecs.BOM_UTF32_BE, "UTF-32 text", AS_UTF8),
    (codecs.BOM_UTF16_LE, "UTF-16 text", AS_UTF8),
    (codecs.BOM_UTF16_BE, "UTF-16 text", AS_UTF8),
)


class NotCsvTextError(ValueError):
    """The bytes are not CSV text (compressed, binary, or an unsupported encoding), or their
    delimiter cannot be told."""


def content_problem(data: bytes) -> str | None:
    """Why the first bytes of a file cannot be CSV text, or ``None`` when they can be."""
    for signature, name, advice in SIGNATURES:
        if data.startswith(signature):
            return f"{name}, not CSV text: {advice}"
    if b"\x00" in data:
        return "binary data (NUL bytes), not CSV text"
    return None


MAX_SAMPLE_ROWS = 10_000
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
"""The delimiters a file is sniffed for, in the order a tie is not broken but reported."""
SEP_LINE = re.compile(r"sep=(.)\r?\n", re.IGNORECASE)
"""A spreadsheet's first line naming the delimiter (``sep=;``); it is not data."""
SNIFF_RECORDS = 200
UTF8 = "UTF-8"
LATIN1 = "ISO-8859-1"


@dataclass(frozen=True)
class CsvSample:
    """What the first bytes of a file say about it.

    Attributes:
        header: the header's names as written (BOM removed).
        rows: up to MAX_SAMPLE_ROWS data records after the header (blank lines skipped).
        encoding: ``UTF-8``, or ``ISO-8859-1`` when the bytes are not valid UTF-8.
        has_bom: the file starts with a UTF-8 byte order mark.
        multiline: some quoted field of the sample spans lines.
        complete: the sample holds the whole file.
        header_lines: the physical lines up to and including the header (blank lines before
            it included).
        line_ending: the file's line ending, ``"\r\n"`` or ``"\n"`` (by its first line).
        delimiter: the field delimiter: from a ``sep=`` first line, else sniffed.
        preamble: records before the header that are not data (the ``sep=`` line).
        every_row: the rows are every data record of the file (its types need no check
            beyond the sample).
    """

    header: list[str]
    rows: list[list[str]]
    encoding: str
    has_bom: bool
    multiline: bool
    complete: bool
    header_lines: int = 1
    line_ending: str = "\n"
    delimiter: str = ","
    preamble: int = 0
    every_row: bool = True


def read_sample(stream: BinaryIO, sample_bytes: int = SAMPLE_BYTES) -> CsvSample:
    """Read at most ``sample_bytes`` of a CSV stream and parse what is whole in them.

    Raises:
        NotCsvTextError: when the bytes are compressed, binary or UTF-16/32.
    """
    data = stream.read(sample_bytes + 1)
    problem = content_problem(data)
    if problem:
        raise NotCsvTextError(problem)
    complete = len(data) <= sample_bytes
    data = data[:sample_bytes]
    has_bom = data.startswith(codecs.BOM_UTF8)
    if has_bom:
        data = data[len(codecs.BOM_UTF8) :]
    encoding, text = _decode(data, complete)
    if not complete:
        # The last line may be cut anywhere: keep whole lines only.
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut >= 0 else ""
    declared = SEP_LINE.match(text)
    preamble = 1 if declared else 0
    body = text[declared.end() :] if declared else text
    delimiter = declared.group(1) if declared else sniff_delimiter(body)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    records, header_lines = [], 0
    for row in reader:
        if row:
            records.append(row)
            if len(records) == 1:
                header_lines = reader.line_num + preamble
    header, rows = (records[0], records[1 : MAX_SAMPLE_ROWS + 1]) if records else ([], [])
    multiline = any("\n" in field or "\r" in field for row in records for field in row)
    first_break = text.find("\n")
    line_ending = "\r\n" if first_break > 0 and text[first_break - 1] == "\r" else "\n"
    return CsvSample(
        header,
        rows,
        encoding,
        has_bom,
        multiline,
        complete,
        header_lines,
        line_ending,
        delimiter,
        preamble,
        complete and len(records) - 1 <= MAX_SAMPLE_ROWS,
    )


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into the most lines' worth of fields.

    Each of comma, semicolon, tab and pipe is tried on the first records: one that splits the
    header into two or more fields is a candidate, scored by the share of records with as
    many fields as the header. The best score wins; a file with no candidate has one column.

    Raises:
        NotCsvTextError: when two delimiters score the same: the file must say which.
    """
    scores: dict[str, tuple[float, int]] = {}
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        records = [row for row in islice(reader, SNIFF_RECORDS + 1) if row]
        if not records or len(records[0]) < 2:
            continue
        width, rows = len(records[0]), records[1:]
        share = sum(len(row) == width for row in rows) / len(rows) if rows else 1.0
        scores[delimiter] = (share, width)
    if not scores:
        return ","
    best = max(share for share, _ in scores.values())
    tied = [d for d, (share, _) in scores.items() if share == best]
    if len(tied) > 1:
        splits = " and ".join(f"{DELIMITERS[d]} {scores[d][1]} columns" for d in tied)
        raise NotCsvTextError(
            f"cannot tell the delimiter: {splits} fit the first lines alike; "
            "add a first line naming it, such as sep=;"
        )
    return tied[0]


def _decode(data: bytes, complete: bool) -> tuple[str, str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return UTF8, decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return LATIN1, data.decode("latin-1")
