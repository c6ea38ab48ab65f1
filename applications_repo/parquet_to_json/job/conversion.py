"""One Parquet file to JSON Lines, on either engine: the schema checked, every row checked
against the quality rules, good rows to the output and failing rows (with their reasons) to
the rejects, the counts verified (rows read = rows written + rows rejected) before either file
is committed. Nothing of a run that fails or is rejected becomes visible."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from applications_repo.parquet_to_json.contract import Before, Contract, Rule
from applications_repo.parquet_to_json.job.schema_plan import FileColumn, SchemaPlan, plan
from applications_repo.parquet_to_json.job.sink import Sink, open_sink, remove
from shared.glue.storage import Storage
from shared.outcomes import FAILED, REJECTED, SUCCEEDED, JobReport

Progress = Callable[[Mapping[str, Any]], None]
REJECTED_KEY = "_rejected"
"""The key of a rejected row's reasons (a list of strings) in the rejects file."""


class UnreadableFileError(ValueError):
    """The engine cannot read the file as Parquet (its footer or a page is broken)."""


@dataclass(frozen=True)
class ConversionRequest:
    """What to convert and where to."""

    source: str
    source_version: str | None
    output: str
    rejects: str
    run_id: str
    contract: Contract
    batch_rows: int = 65_536


@dataclass(frozen=True)
class Counts:
    """What an engine saw while converting."""

    rows_read: int
    rows_rejected: int
    violations: Mapping[str, int]


class Source(ABC):
    """A file opened by an engine."""

    @abstractmethod
    def columns(self) -> list[FileColumn]:
        """The file's columns (``UnreadableFileError`` if it is not readable Parquet)."""

    @abstractmethod
    def convert(self, schema: SchemaPlan, good: Sink, bad: Sink, progress: Progress) -> Counts:
        """Write each row to ``good`` or, with its reasons, to ``bad``."""

    @abstractmethod
    def close(self) -> None:
        """Release what opening the file took (a downloaded copy, staged parts)."""


class Engine(ABC):
    """Spark or Arrow."""

    name: str

    @abstractmethod
    def open(self, storage: Storage, request: ConversionRequest) -> Source: ...


@dataclass(frozen=True)
class Conversion:
    """The outcome of one conversion."""

    status: str
    engine: str
    error: str | None = None
    rows_read: int | None = None
    rows_written: int | None = None
    rows_rejected: int | None = None
    violations: Mapping[str, int] = field(default_factory=dict)
    schema: Mapping[str, Any] = field(default_factory=dict)
    output: str | None = None
    rejects: str | None = None
    superseded_by: str | None = None
    seconds: float = 0.0

    def job_report(self) -> JobReport:
        detail = {k: v for k, v in asdict(self).items() if v not in (None, {}, [])}
        return JobReport(
            status=self.status,
            error=self.error,
            rows_read=self.rows_read,
            rows_written=self.rows_written,
            rows_rejected=self.rows_rejected,
            output=self.output,
            rejects=self.rejects,
            detail=detail,
        )


def convert_file(
    engine: Engine,
    storage: Storage,
    s3: Any,
    request: ConversionRequest,
    *,
    progress: Progress = lambda _: None,
    superseded: Callable[[], str | None] = lambda: None,
) -> Conversion:
    """Convert ``request.source``; ``superseded`` says (before the commit) which newer
    upload of the same path makes this run's output stale, if one does."""
    started = time.monotonic()

    def outcome(status: str, **values: Any) -> Conversion:
        seconds = round(time.monotonic() - started, 3)
        return Conversion(status=status, engine=engine.name, seconds=seconds, **values)

    try:
        source = engine.open(storage, request)
        columns = source.columns()
    except UnreadableFileError as error:
        return outcome(REJECTED, error=f"{request.source} is not readable Parquet: {error}")
    try:
        schema = plan(columns, request.contract)
        if schema.error:
            return outcome(
                REJECTED, error=f"{request.source}: {schema.error}", schema=schema.report()
            )
        good = open_sink(request.output, s3, request.run_id)
        bad = open_sink(request.rejects, s3, request.run_id)
        try:
            counts = source.convert(schema, good, bad, progress)
            mismatch = _mismatch(counts, good, bad)
            newer = None if mismatch else superseded()
            if mismatch or newer:
                good.abort()
                bad.abort()
            else:
                _commit(good, bad, s3)
        except BaseException:
            good.abort()
            bad.abort()
            raise
        if mismatch:
            return outcome(FAILED, error=mismatch, schema=schema.report())
        written = {
            "rows_read": counts.rows_read,
            "rows_written": good.lines,
            "rows_rejected": bad.lines,
            "violations": dict(counts.violations),
            "schema": schema.report(),
        }
        if newer:
            return outcome(SUCCEEDED, superseded_by=newer, **written)
        rejects = request.rejects if bad.lines else None
        return outcome(SUCCEEDED, output=request.output, rejects=rejects, **written)
    except UnreadableFileError as error:
        return outcome(REJECTED, error=f"{request.source} is not readable Parquet: {error}")
    finally:
        source.close()


def applicable_rules(contract: Contract, schema: SchemaPlan) -> list[Rule]:
    """The rules whose columns the file has (an optional column may be absent)."""
    keys = {c.key for c in schema.columns}

    def applies(rule: Rule) -> bool:
        wanted = (rule.first, rule.then) if isinstance(rule, Before) else (rule.column,)
        return all(name in keys for name in wanted)

    return [rule for rule in contract.rules if applies(rule)]


def first_line(error: BaseException) -> str:
    """An engine's error in one line."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _mismatch(counts: Counts, good: Sink, bad: Sink) -> str | None:
    """Why the written files do not account for every row read, if they do not."""
    if counts.rows_read == good.lines + bad.lines and counts.rows_rejected == bad.lines:
        return None
    return (
        f"verification failed: read {counts.rows_read} rows but wrote {good.lines} and "
        f"rejected {bad.lines} (expected {counts.rows_rejected} rejected); nothing was committed"
    )


def _commit(good: Sink, bad: Sink, s3: Any) -> None:
    """The rejects first, then the output: a reader who sees the output sees its rejects."""
    if bad.lines:
        bad.commit()
    else:
        bad.abort()
        remove(bad.uri, s3)
    good.commit()
