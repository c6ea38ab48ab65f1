"""The single-node engine: the Parquet file read in record batches of ``batch_rows`` with
pyarrow, each batch checked and formatted with Arrow's compute kernels and written before the
next is read, so memory holds one batch whatever the file's size."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from applications_repo.parquet_to_json.contract import Family, NonNegative, Range, Rule
from applications_repo.parquet_to_json.job import json_lines
from applications_repo.parquet_to_json.job.conversion import (
    REJECTED_KEY,
    ConversionRequest,
    Counts,
    Engine,
    Progress,
    Source,
    UnreadableFileError,
    applicable_rules,
    first_line,
)
from applications_repo.parquet_to_json.job.schema_plan import FileColumn, SchemaPlan
from applications_repo.parquet_to_json.job.sink import Sink
from shared.glue.storage import S3_SCHEME, Storage

DOWNLOAD_CHUNK = 8 * 1024 * 1024
WORKERS = max(1, min(4, os.cpu_count() or 1))


FAMILIES = (
    (pa.types.is_integer, Family.INTEGER),
    (pa.types.is_floating, Family.NUMBER),
    (pa.types.is_decimal, Family.NUMBER),
    (lambda t: pa.types.is_timestamp(t) and t.unit != "ns", Family.TIMESTAMP),
    (pa.types.is_date, Family.DATE),
    (pa.types.is_string, Family.STRING),
    (pa.types.is_large_string, Family.STRING),
    (pa.types.is_boolean, Family.BOOLEAN),
)


def family_of(data_type: pa.DataType) -> Family | None:
    """The contract's family of an Arrow type; None for types it does not cover (nanosecond
    timestamps among them: Spark cannot read them, and both engines must agree)."""
    if pa.types.is_dictionary(data_type):
        return family_of(data_type.value_type)
    return next((family for check, family in FAMILIES if check(data_type)), None)


def violations(rule: Rule, batch: pa.RecordBatch, schema: SchemaPlan) -> pa.Array:
    """Per row, whether it breaks ``rule`` (never null: a null value breaks no rule)."""
    if isinstance(rule, NonNegative):
        broken = pc.less(batch.column(schema.source_of(rule.column)), 0)
    elif isinstance(rule, Range):
        values = batch.column(schema.source_of(rule.column))
        broken = pc.or_(pc.less(values, rule.low), pc.greater(values, rule.high))
    else:
        first, then = (_utc(batch.column(schema.source_of(c))) for c in (rule.first, rule.then))
        broken = pc.greater_equal(first, then)
    return pc.fill_null(broken, False)


def _utc(values: pa.Array) -> pa.Array:
    return pc.cast(values, pa.timestamp("us", tz="UTC"), safe=False)


class ArrowSource(Source):
    def __init__(self, path: Path, request: ConversionRequest, workdir: Path | None) -> None:
        self.request = request
        self.workdir = workdir
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as error:
            self.close()
            raise UnreadableFileError(first_line(error)) from None

    def columns(self) -> list[FileColumn]:
        schema = self.file.schema_arrow
        return [FileColumn(f.name, str(f.type), family_of(f.type)) for f in schema]

    def convert(self, schema: SchemaPlan, good: Sink, bad: Sink, progress: Progress) -> Counts:
        """Batches are converted on ``WORKERS`` threads (Arrow's kernels release the GIL) and
        written in their order; at most ``2 * WORKERS`` are in memory at once."""
        rules = applicable_rules(self.request.contract, schema)
        counts: Counter[str] = Counter({r.rule: 0 for r in rules})
        rows = rejected = 0
        sources = [c.source for c in schema.columns]
        in_flight: deque[Future[ConvertedBatch]] = deque()

        def write(converted: ConvertedBatch) -> None:
            nonlocal rows, rejected
            good.write(converted.good)
            bad.write(converted.bad)
            rows += converted.rows
            rejected += converted.rejected
            counts.update(converted.violations)
            progress({"rows_read": rows, "rows_rejected": rejected})

        try:
            batches = self.file.iter_batches(
                batch_size=self.request.batch_rows, columns=sources, use_threads=True
            )
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                for batch in batches:
                    in_flight.append(pool.submit(convert_batch, batch, rules, schema))
                    if len(in_flight) >= 2 * WORKERS:
                        write(in_flight.popleft().result())
                while in_flight:
                    write(in_flight.popleft().result())
        except (pa.ArrowInvalid, OSError) as error:
            raise UnreadableFileError(first_line(error)) from None
        return Counts(rows_read=rows, rows_rejected=rejected, violations=dict(counts))

    def close(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


@dataclass(frozen=True)
class ConvertedBatch:
    """One batch's JSON lines, good and rejected, and its counts."""

    good: bytes
    bad: bytes
    rows: int
    rejected: int
    violations: dict[str, int]


def convert_batch(batch: pa.RecordBatch, rules: list[Rule], schema: SchemaPlan) -> ConvertedBatch:
    """Check one batch against the rules and format its rows."""
    broken = [violations(rule, batch, schema) for rule in rules]
    failing = _any(broken, len(batch))
    bad_rows = pc.sum(failing).as_py() or 0
    keep = batch if not bad_rows else batch.filter(pc.invert(failing))
    pairs = zip(rules, broken, strict=True)
    return ConvertedBatch(
        good=json_lines.lines(_keyed(keep, schema)),
        bad=_rejected_lines(batch, failing, pairs, schema) if bad_rows else b"",
        rows=len(batch),
        rejected=bad_rows,
        violations={r.rule: pc.sum(m).as_py() or 0 for r, m in zip(rules, broken, strict=True)},
    )


def _rejected_lines(
    batch: pa.RecordBatch,
    failing: pa.Array,
    broken: Iterable[tuple[Rule, pa.Array]],
    schema: SchemaPlan,
) -> bytes:
    """The failing rows of ``batch``, each with the reasons of the rules it breaks."""
    rows = batch.filter(failing)
    none = pa.scalar(None, pa.string())
    reasons = [
        pc.if_else(pc.filter(mask, failing), f'"{rule.reason}"', none) for rule, mask in broken
    ]
    return json_lines.lines(_keyed(rows, schema), (REJECTED_KEY, json_lines.string_list(reasons)))


def _any(masks: list[pa.Array], length: int) -> pa.Array:
    failing = pa.array([False] * length) if not masks else masks[0]
    for mask in masks[1:]:
        failing = pc.or_(failing, mask)
    return failing


def _keyed(batch: pa.RecordBatch, schema: SchemaPlan) -> list[tuple[str, pa.Array]]:
    return [(c.key, batch.column(c.source)) for c in schema.columns]


class ArrowEngine(Engine):
    """Converts on this machine (the single-node function, ``gdp parquet-to-json``)."""

    name = "arrow"

    def open(self, storage: Storage, request: ConversionRequest) -> Source:
        if not request.source.startswith(S3_SCHEME):
            return ArrowSource(Path(request.source), request, None)
        workdir = Path(tempfile.mkdtemp(prefix="parquet-to-json-"))
        local = workdir / "source.parquet"
        with storage.open(request.source, request.source_version) as body, local.open("wb") as out:
            shutil.copyfileobj(body, out, length=DOWNLOAD_CHUNK)
        return ArrowSource(local, request, workdir)
