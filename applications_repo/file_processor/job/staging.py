"""What an engine hands back to FileProcessorV2: the staged Parquet files, the counts, and
the rejected records, located in the file. Engines differ in how they read and write; this
contract is the same for all of them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from applications_repo.file_processor.job.column_plan import PlannedColumn
from applications_repo.file_processor.job.csv_sample import CsvSample
from applications_repo.file_processor.job.layout import OutputLayout
from shared.errors import PlatformError
from shared.glue.storage import Storage

MAX_REJECTED_ROWS = 100_000


class FileRejectedError(PlatformError):
    """The file as a whole cannot be processed (empty, no header, too many bad rows, not
    its dataset's schema)."""

    def __init__(self, message: str, *, dataset: str | None = None) -> None:
        super().__init__(message)
        self.dataset = dataset


class LateMisfitError(Exception):
    """A value past the sample does not fit the type the sample gave its column: the file
    needs the widening pass (raised only when the request says ``stop_at_misfit``)."""


def too_many_rejects(rejected: int, read: int) -> FileRejectedError:
    """The error of a file whose rows are mostly malformed."""
    return FileRejectedError(
        f"{rejected} of {read} rows are malformed (more than {MAX_REJECTED_ROWS}): "
        "is this the right file?"
    )


@dataclass(frozen=True)
class Reject:
    """One rejected record: where it is in the file, why, and what it said."""

    line: int | None
    reason: str
    record: str | None

    def to_json(self) -> str:
        return json.dumps(
            {"line": self.line, "reason": self.reason, "record": self.record}, ensure_ascii=False
        )


@dataclass(frozen=True)
class Staged:
    """An engine's result: staged Parquet files (not yet visible), counts, rejects."""

    rows_read: int
    rows_written: int
    staged_files: list[str]
    rejects: list[Reject]


@dataclass(frozen=True)
class StageRequest:
    """Everything an engine needs for one file."""

    source_uri: str
    source_version: str | None
    sample: CsvSample
    columns: Sequence[PlannedColumn]
    layout: OutputLayout
    job_name: str
    processed_at: datetime
    stop_at_misfit: bool = False


class Engine(Protocol):
    """Reads a CSV object, checks and converts its records, stages the good ones.

    An engine that ``stops_at_misfit`` raises ``LateMisfitError`` at the first value that
    does not fit its column when the request asks it to (and stages nothing): FileProcessorV2
    then gives it the types widened for the whole file. Such an engine reads a file whose
    sample's types hold once, instead of twice.
    """

    name: str
    stops_at_misfit: bool

    def stage(self, storage: Storage, request: StageRequest) -> Staged: ...


def field_count_detail(reason: str, record: str | None, expected: int, delimiter: str = ",") -> str:
    """``expected N fields`` completed with how many the record has."""
    marker = f"expected {expected} fields"
    if record is None or not reason.startswith(marker):
        return reason
    found = len(next(csv.reader(io.StringIO(record), delimiter=delimiter), []))
    return reason.replace(marker, f"{marker}, found {found}", 1)


def in_file_order(rejects: Sequence[Reject]) -> list[Reject]:
    return sorted(rejects, key=lambda r: (r.line is None, r.line or 0))
