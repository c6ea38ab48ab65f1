"""What the orchestrator checks of an upload before it starts a run, and where the run's
outputs go.

- **Layout:** ``raw-data/YYYY/MM/DD/NAME.parquet`` of the source bucket becomes
  ``processed-data/YYYY/MM/DD/NAME.json`` (JSON Lines) and, for rows that break a quality
  rule, ``rejected-data/YYYY/MM/DD/NAME.json`` of the output bucket. A key outside
  ``raw-data/YYYY/MM/DD/`` takes the day of its upload instead, and keeps its folders.
- **Validation:** the size is within the configured limits, the file starts and ends with
  Parquet's magic bytes ``PAR1``, and the footer length before the final magic fits in the
  file (a truncated upload fails this). The job then reads the footer and the schema.

Standard library only: the orchestrator ships this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

MAGIC = b"PAR1"
ENCRYPTED_MAGIC = b"PARE"
TAIL_BYTES = 8
"""The footer's length (4 bytes, little-endian) and the closing magic."""
SOURCE_PREFIX = "raw-data/"
OUTPUT_PREFIX = "processed-data/"
REJECTS_PREFIX = "rejected-data/"
DATED_KEY = re.compile(r"^raw-data/(\d{4})/(\d{2})/(\d{2})/(.+)$")
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")


@dataclass(frozen=True)
class OutputKeys:
    """Where one source file's rows go in the output bucket."""

    output: str
    rejects: str


def output_keys(source_key: str, uploaded: datetime) -> OutputKeys:
    """The output and rejects keys of ``source_key`` (uploaded at ``uploaded``)."""
    match = DATED_KEY.match(source_key)
    if match and _is_date(*match.groups()[:3]):
        year, month, day, rest = match.groups()
    else:
        day_of_upload = uploaded.astimezone(UTC)
        year, month, day = (f"{day_of_upload:%Y}", f"{day_of_upload:%m}", f"{day_of_upload:%d}")
        rest = source_key
    path = PurePosixPath(rest)
    stem = path.stem if path.suffix.lower() in PARQUET_SUFFIXES else path.name
    relative = str(path.with_name(f"{stem}.json"))
    dated = f"{year}/{month}/{day}/{relative}"
    return OutputKeys(output=f"{OUTPUT_PREFIX}{dated}", rejects=f"{REJECTS_PREFIX}{dated}")


def _is_date(year: str, month: str, day: str) -> bool:
    try:
        datetime(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Limits:
    """The sizes an upload must be within."""

    min_bytes: int
    max_bytes: int


ReadRange = Callable[[int, int], bytes]
"""Reads ``length`` bytes from ``start`` of the upload."""


def parquet_problem(size: int, read: ReadRange, limits: Limits) -> str | None:
    """Why the upload is not a Parquet file the job can read, in one line; None if it is."""
    if not limits.min_bytes <= size <= limits.max_bytes:
        return (
            f"is {size} bytes, outside the limits of {limits.min_bytes} to {limits.max_bytes} bytes"
        )
    head = read(0, len(MAGIC))
    if head == ENCRYPTED_MAGIC:
        return "is an encrypted Parquet file (magic PARE), which the job cannot read"
    if head != MAGIC:
        return f"does not start with Parquet's magic bytes PAR1 (starts with {head!r})"
    tail = read(size - TAIL_BYTES, TAIL_BYTES)
    if tail[4:] != MAGIC:
        return "does not end with Parquet's magic bytes PAR1: the file is truncated or not Parquet"
    footer = int.from_bytes(tail[:4], "little")
    if not 0 < footer <= size - len(MAGIC) - TAIL_BYTES:
        return f"has a footer of {footer} bytes, which does not fit in its {size} bytes"
    return None
