"""Finds the line number and the raw text of records Spark rejected.

Spark reports where it saw a row as (the start and length of the file split it read, the
row's index within that split); it knows nothing of line numbers. This module reads the file
once, front to back, splitting it the way Spark (Hadoop's line reader) does, and maps those
positions back to lines. It runs only for files with rejected rows.

Line mode: a split [s, s+length) holds the lines starting after s up to and including
s+length (the first split also the line at 0); blank lines are skipped; the header is the
first non-blank line of the first split. Multi-line mode: one split, records parsed with
quotes, so a record may span lines; it is reported at its first line.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True, order=True)
class RecordPosition:
    """Where Spark saw a row."""

    block_start: int
    block_length: int
    row: int


@dataclass(frozen=True)
class LocatedRecord:
    """A record's first line (1-based) and its text as written in the file."""

    line: int
    text: str


def locate_records(
    stream: BinaryIO,
    positions: Iterable[RecordPosition],
    *,
    encoding: str,
    multiline: bool,
) -> dict[RecordPosition, LocatedRecord]:
    """The line and text of each position (positions not found are left out)."""
    wanted = sorted(set(positions))
    if not wanted:
        return {}
    if multiline:
        return _locate_multiline(stream, wanted, encoding)
    return _locate_lines(stream, wanted, encoding)


def _physical_lines(stream: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """(line number, start offset, bytes without terminator) of every line."""
    offset = 0
    for number, raw in enumerate(stream, start=1):
        yield number, offset, raw.rstrip(b"\r\n")
        offset += len(raw)


def _decode(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="replace").removeprefix("\ufeff")


def _locate_lines(
    stream: BinaryIO, wanted: list[RecordPosition], encoding: str
) -> dict[RecordPosition, LocatedRecord]:
    splits = sorted({(p.block_start, p.block_length) for p in wanted})
    rows_wanted = {(p.block_start, p.row): p for p in wanted}
    last_end = max(start + length for start, length in splits)
    counters = dict.fromkeys(splits, 0)
    header_seen = False
    found: dict[RecordPosition, LocatedRecord] = {}
    for number, offset, raw in _physical_lines(stream):
        if offset > last_end or len(found) == len(wanted):
            break
        if not raw.strip():
            continue
        if not header_seen:
            header_seen = True
            continue
        for start, length in splits:
            inside = (offset == 0 and start == 0) or start < offset <= start + length
            if not inside:
                continue
            row = counters[(start, length)]
            counters[(start, length)] = row + 1
            position = rows_wanted.get((start, row))
            if position is not None:
                found[position] = LocatedRecord(number, _decode(raw, encoding))
    return found


def _locate_multiline(
    stream: BinaryIO, wanted: list[RecordPosition], encoding: str
) -> dict[RecordPosition, LocatedRecord]:
    rows_wanted = {p.row: p for p in wanted}
    text_lines = codecs.iterdecode(stream, encoding, errors="replace")
    consumed: list[str] = []

    def feed() -> Iterator[str]:
        for line in text_lines:
            consumed.append(line)
            yield line

    reader = csv.reader(feed())
    found: dict[RecordPosition, LocatedRecord] = {}
    row_index = -1
    line_before = 0
    for fields in reader:
        first_line = line_before + 1
        text = "".join(consumed).rstrip("\r\n").removeprefix("\ufeff")
        consumed.clear()
        line_before = reader.line_num
        if not fields:
            continue
        if row_index >= 0 and row_index in rows_wanted:
            found[rows_wanted[row_index]] = LocatedRecord(first_line, text)
            if len(found) == len(wanted):
                break
        row_index += 1
    return found
