"""The bounded sample a file's layout and types are inferred from: its first bytes only."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import BinaryIO

SAMPLE_BYTES = 1024 * 1024
MAX_SAMPLE_ROWS = 10_000
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
    """

    header: list[str]
    rows: list[list[str]]
    encoding: str
    has_bom: bool
    multiline: bool
    complete: bool


def read_sample(stream: BinaryIO, sample_bytes: int = SAMPLE_BYTES) -> CsvSample:
    """Read at most ``sample_bytes`` of a CSV stream and parse what is whole in them."""
    data = stream.read(sample_bytes + 1)
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
    records = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    header, rows = (records[0], records[1 : MAX_SAMPLE_ROWS + 1]) if records else ([], [])
    multiline = any("\n" in field or "\r" in field for row in records for field in row)
    return CsvSample(header, rows, encoding, has_bom, multiline, complete)


def _decode(data: bytes, complete: bool) -> tuple[str, str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return UTF8, decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return LATIN1, data.decode("latin-1")
