"""The single-node engine of FileProcessorV2: Apache Arrow, streaming, on one machine.

Small and medium files need no cluster: this engine reads the CSV in blocks (pyarrow's
streaming reader), checks and converts each block with Arrow compute kernels (the same rules
as column_plan's SQL for Spark), and writes the good rows to one snappy Parquet file as it
goes, so memory stays flat whatever the file's size. Records with the wrong number of fields
come back from the reader with their line; records with a value that does not fit are located
afterwards (record_locator), only when there are any.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from applications_repo.file_processor.job.column_names import (
    METADATA_COLUMNS,
    PROCESSED_AT,
    PROCESSING_JOB,
    SOURCE_FILE,
)
from applications_repo.file_processor.job.column_plan import (
    METADATA_TYPES,
    VALUE_SHOWN_CHARS,
    PlannedColumn,
)
from applications_repo.file_processor.job.record_locator import RecordPosition, locate_records
from applications_repo.file_processor.job.staging import (
    MAX_REJECTED_ROWS,
    Reject,
    Staged,
    StageRequest,
    in_file_order,
    too_many_rejects,
)
from applications_repo.file_processor.job.type_inference import (
    BLANKS,
    FALSE_WORDS,
    MAX_BIGINT,
    NULL_TOKENS,
    TRUE_WORDS,
    ColumnType,
    Kind,
)
from shared.glue.storage import Storage

BLOCK_BYTES = 4 * 1024 * 1024
ROW_GROUP_BYTES = 64 * 1024 * 1024
DICTIONARY_KINDS = frozenset({Kind.STRING, Kind.DATE})
STAGED_FILE = "part-00000.snappy.parquet"
ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
# Spark date patterns -> strptime formats, for the layouts type_inference knows.
STRPTIME = {"yyyy": "%Y", "MM": "%m", "dd": "%d"}
ARROW_ENCODINGS = {"UTF-8": "utf8", "ISO-8859-1": "latin1"}


def arrow_type(column_type: ColumnType) -> pa.DataType:
    """The Arrow type a column is written as (what Spark writes for the same column)."""
    return {
        Kind.BOOLEAN: pa.bool_(),
        Kind.INTEGER: pa.int64(),
        Kind.DECIMAL: pa.decimal128(38, column_type.scale),
        Kind.DOUBLE: pa.float64(),
        Kind.DATE: pa.date32(),
        Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
        Kind.STRING: pa.string(),
    }[column_type.kind]


def output_schema(columns: Sequence[PlannedColumn]) -> pa.Schema:
    """The written schema: the source columns (header name as field metadata) and the
    metadata columns."""
    return pa.schema(
        [
            pa.field(
                c.name,
                arrow_type(c.type),
                metadata={b"comment": c.raw_name.encode(), b"source_name": c.raw_name.encode()},
            )
            for c in columns
        ]
        + [pa.field(name, arrow_type(kind)) for name, kind in METADATA_TYPES.items()]
    )


class ArrowEngine:
    """FileProcessorV2 on one machine, with pyarrow.

    Three stages overlap, each on its own thread (Arrow releases the GIL): the reader parses
    the next block while this one is checked, and the previous row group is written.
    """

    name = "arrow"

    def stage(self, storage: Storage, request: StageRequest) -> Staged:
        # Records set aside by the reader: (index among all data records, reason, text).
        # The reader numbers records from the first line, skipped lines included.
        malformed: list[tuple[int, str, str]] = []
        expected = len(request.columns)
        first_record = request.sample.header_lines + 1

        def on_malformed(row: pacsv.InvalidRow) -> str:
            reason = f"expected {expected} fields, found {row.actual_columns}"
            malformed.append((row.number - first_record, reason, row.text))
            return "skip"

        schema = output_schema(request.columns)
        bad_values: list[tuple[int, str]] = []  # (index among well-formed records, reason)
        well_formed = written = 0
        with tempfile.TemporaryDirectory(prefix="arrow-engine-") as workdir:
            staged_path = Path(workdir) / STAGED_FILE
            with (
                storage.open(request.source_uri, request.source_version) as stream,
                ThreadPoolExecutor(1, thread_name_prefix="csv-reader") as reading,
                RowGroupWriter(staged_path, schema, request.columns) as row_groups,
            ):
                reader = _open_csv(stream, request, on_malformed)
                for batch in _read_ahead(reader, reading):
                    checked = _check(batch, request)
                    bad = pc.invert(checked.good)
                    for offset, reason in zip(
                        pc.indices_nonzero(bad).to_pylist(),
                        checked.reasons.filter(bad).to_pylist(),
                        strict=True,
                    ):
                        bad_values.append((well_formed + offset, reason))
                    kept = _written(checked, request)
                    row_groups.add(kept)
                    well_formed += batch.num_rows
                    written += kept.num_rows
                    _refuse_mostly_malformed(bad_values, malformed, well_formed)
                _refuse_mostly_malformed(bad_values, malformed, well_formed)
            rows_written = pq.read_metadata(staged_path).num_rows
            staging_file = f"{request.layout.staging}/{STAGED_FILE}"
            storage.upload(staged_path, staging_file)
        rows_read = well_formed + len(malformed)
        rejects = _located(storage, request, bad_values, malformed)
        if rows_read != rows_written + len(rejects) or rows_written != written:
            raise RuntimeError(
                f"row accounting failed: read {rows_read}, "
                f"wrote {rows_written}, rejected {len(rejects)}"
            )
        return Staged(rows_read, rows_written, [staging_file], in_file_order(rejects))


def _open_csv(
    stream: BinaryIO, request: StageRequest, on_malformed: Callable[[pacsv.InvalidRow], str]
) -> pacsv.CSVStreamingReader:
    """Every field as text (the checks convert them), records numbered by their line."""
    return pacsv.open_csv(
        pa.PythonFile(stream, mode="r"),
        read_options=pacsv.ReadOptions(
            column_names=[c.field for c in request.columns],
            skip_rows=request.sample.header_lines,
            # One block at a time, so that set-aside records know their line.
            use_threads=False,
            block_size=BLOCK_BYTES,
            encoding=ARROW_ENCODINGS[request.sample.encoding],
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_malformed),
        convert_options=pacsv.ConvertOptions(
            column_types={c.field: pa.string() for c in request.columns},
            # Only the empty field is null here: NULL_TOKENS decide the rest, not Arrow's
            # longer default list (where "NA" is a country).
            null_values=[""],
            strings_can_be_null=True,
        ),
    )


def _read_ahead(
    reader: pacsv.CSVStreamingReader, pool: ThreadPoolExecutor
) -> Iterator[pa.RecordBatch]:
    """The reader's blocks, the next one parsed on the pool while this one is used."""
    upcoming = pool.submit(_next_block, reader)
    while (batch := upcoming.result()) is not None:
        upcoming = pool.submit(_next_block, reader)
        yield batch


def _next_block(reader: pacsv.CSVStreamingReader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


class RowGroupWriter:
    """Blocks gathered into row groups of about ROW_GROUP_BYTES (in memory), each written
    on its own thread while the next is gathered: at most two row groups are held."""

    def __init__(self, path: Path, schema: pa.Schema, columns: Sequence[PlannedColumn]) -> None:
        text = [c.name for c in columns if c.type.kind in DICTIONARY_KINDS]
        self._writer = pq.ParquetWriter(
            path,
            schema,
            compression="snappy",
            # Text and dates repeat; ids, amounts and times rarely do, and trying a
            # dictionary on them costs as much as the rest of the write.
            use_dictionary=[*text, *METADATA_COLUMNS],
        )
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="parquet-writer")
        self._schema = schema
        self._gathered: list[pa.RecordBatch] = []
        self._gathered_bytes = 0
        self._writing: Future[None] | None = None

    def __enter__(self) -> RowGroupWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                self._flush()
                self._wait()
        finally:
            self._pool.shutdown(wait=True)
            self._writer.close()

    def add(self, batch: pa.RecordBatch) -> None:
        """Gather a block; hand over a full row group to the writer thread."""
        if batch.num_rows == 0:
            return
        self._gathered.append(batch)
        self._gathered_bytes += batch.nbytes
        if self._gathered_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        self._wait()
        if self._gathered:
            table = pa.Table.from_batches(self._gathered, schema=self._schema)
            self._writing = self._pool.submit(
                self._writer.write_table, table, row_group_size=table.num_rows
            )
        self._gathered, self._gathered_bytes = [], 0

    def _wait(self) -> None:
        if self._writing is not None:
            self._writing.result()
            self._writing = None


def _refuse_mostly_malformed(
    bad_values: Sequence[tuple[int, str]], malformed: Sequence[tuple[int, str, str]], good: int
) -> None:
    rejected = len(bad_values) + len(malformed)
    if rejected > MAX_REJECTED_ROWS:
        raise too_many_rejects(rejected, good + len(malformed))


def _located(
    storage: Storage,
    request: StageRequest,
    bad_values: Sequence[tuple[int, str]],
    malformed: Sequence[tuple[int, str, str]],
) -> list[Reject]:
    """Every rejected record with its line and text, read once more from the file.

    Records with bad values are counted among the well-formed ones: merged with the
    malformed ones, each gets its index among all data records.
    """
    if not bad_values and not malformed:
        return []
    set_aside = sorted(index for index, _, _ in malformed)
    by_index: dict[int, tuple[str, str | None]] = {
        index: (reason, text) for index, reason, text in malformed
    }
    passed = 0
    for well_formed_index, reason in sorted(bad_values):
        while passed < len(set_aside) and set_aside[passed] <= well_formed_index + passed:
            passed += 1
        by_index[well_formed_index + passed] = (reason, None)
    with storage.open(request.source_uri, request.source_version) as stream:
        located = locate_records(
            stream,
            [RecordPosition(0, 0, index) for index in by_index],
            encoding=request.sample.encoding,
            multiline=True,
        )
    rejects = []
    for index, (reason, text) in by_index.items():
        place = located.get(RecordPosition(0, 0, index))
        rejects.append(
            Reject(
                line=place.line if place else None,
                reason=reason,
                record=place.text if place else text,
            )
        )
    return rejects


NULL_TOKEN_SET = pa.array(sorted(NULL_TOKENS))
LONGEST_NULL_TOKEN = max(len(token) for token in NULL_TOKENS)
TRUE_SET = pa.array(sorted(TRUE_WORDS))
FALSE_SET = pa.array(sorted(FALSE_WORDS))
# Lengths of the timestamps TIMESTAMP_PATTERN accepts without a zone: minutes, seconds, and
# seconds with 1 to 9 decimals (and null: no value).
NAIVE_TIMESTAMP_LENGTHS = pa.array([16, 19, *range(21, 30), None], pa.int32())


def _is_null(trimmed: pa.Array) -> pa.Array:
    """Where a (trimmed) value stands for "no value". The tokens are short and ASCII, so only
    the short values are compared, lowered the ASCII way (no other letter lowers to them)."""
    null = pc.is_null(trimmed)
    short = pc.fill_null(pc.less_equal(pc.utf8_length(trimmed), LONGEST_NULL_TOKEN), False)
    if not pc.any(short).as_py():
        return null
    tokens = pc.is_in(pc.ascii_lower(trimmed.filter(short)), value_set=NULL_TOKEN_SET)
    return pc.or_(null, pc.replace_with_mask(short, short, tokens))


@dataclass(frozen=True)
class CheckedBatch:
    """One block of records: which are good, why the others are not, the converted values."""

    good: pa.Array
    reasons: pa.Array
    values: list[pa.Array]


def _check(batch: pa.RecordBatch, request: StageRequest) -> CheckedBatch:
    """Convert every column once; a record is good when every value fits its column."""
    values, messages = [], []
    for column in request.columns:
        raw = batch.column(column.field)
        trimmed = pc.utf8_trim(raw, characters=BLANKS)
        null = _is_null(trimmed)
        has_tokens = pc.sum(null).as_py() > raw.null_count
        if column.type.kind is Kind.STRING:
            if request.sample.line_ending != "\n":
                # As Spark does: a quoted line break written as the file's own line ending
                # is stored as "\n".
                raw = pc.replace_substring(raw, request.sample.line_ending, "\n")
            values.append(
                pc.if_else(null, pa.scalar(None, pa.string()), raw) if has_tokens else raw
            )
            continue
        present = pc.if_else(null, pa.scalar(None, pa.string()), trimmed) if has_tokens else trimmed
        converted, fits = _convert(column.type, present)
        values.append(converted)
        bad = pc.and_(pc.invert(null), pc.invert(fits))
        if pc.any(bad).as_py():
            shown = pc.utf8_slice_codeunits(raw, 0, VALUE_SHOWN_CHARS)
            message = pc.binary_join_element_wise(
                f"{column.name}: '", shown, f"' is not {column.type.description}", ""
            )
            messages.append(pc.if_else(bad, message, pa.scalar(None, pa.string())))
    reasons = pa.nulls(batch.num_rows, pa.string())
    for message in messages:
        joined = pc.binary_join_element_wise(reasons, message, "; ")
        reasons = pc.if_else(
            pc.is_null(reasons), message, pc.if_else(pc.is_null(message), reasons, joined)
        )
    return CheckedBatch(pc.is_null(reasons), pc.fill_null(reasons, ""), values)


def _convert(column_type: ColumnType, value: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Values in the column's type (null where absent or not converted), and where they fit.

    Most blocks convert whole with one of Arrow's casts, taken only where the cast accepts
    no value the rule refuses; any block a cast refuses goes value by value, by the rule.
    """
    kind = column_type.kind
    if kind is Kind.BOOLEAN:
        lowered = pc.ascii_lower(value)
        is_true = pc.is_in(lowered, value_set=TRUE_SET)
        fits = pc.fill_null(pc.or_(is_true, pc.is_in(lowered, value_set=FALSE_SET)), False)
        return pc.if_else(fits, is_true, pa.scalar(None, pa.bool_())), fits
    converted = _cast_whole(column_type, value)
    if converted is None:
        return _convert_value_by_value_rule(column_type, value)
    return converted, pc.is_valid(converted)


def _cast_whole(column_type: ColumnType, value: pa.Array) -> pa.Array | None:
    """The block cast in one go, or None when a cast would differ from the rule on it."""
    cast = WHOLE_BLOCK_CASTS.get(column_type.kind)
    if cast is None or (column_type.kind is Kind.DATE and column_type.date_format != ISO_DATE):
        return None
    try:
        return cast(column_type, value)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _cast_number(column_type: ColumnType, value: pa.Array) -> pa.Array | None:
    # Arrow also reads hexadecimal integers and exponents: not when any letter shows.
    if not pc.all(pc.equal(pc.ascii_swapcase(value), value)).as_py():
        return None
    return pc.cast(value, arrow_type(column_type))


def _cast_double(_: ColumnType, value: pa.Array) -> pa.Array | None:
    # Arrow also reads inf and nan, the only values it makes that are not finite.
    converted = pc.cast(value, pa.float64())
    return converted if pc.all(pc.is_finite(converted)).as_py() else None


def _cast_date(_: ColumnType, value: pa.Array) -> pa.Array:
    return pc.cast(value, pa.date32())


def _cast_timestamp(_: ColumnType, value: pa.Array) -> pa.Array | None:
    # Arrow also reads a date alone, or with the hour alone: not in these lengths.
    lengths = pc.utf8_length(value)
    if not pc.all(pc.is_in(lengths, value_set=NAIVE_TIMESTAMP_LENGTHS)).as_py():
        return None
    return pc.assume_timezone(pc.cast(value, pa.timestamp("us")), "UTC")


ISO_DATE = "yyyy-MM-dd"
WHOLE_BLOCK_CASTS = {
    Kind.INTEGER: _cast_number,
    Kind.DECIMAL: _cast_number,
    Kind.DOUBLE: _cast_double,
    Kind.DATE: _cast_date,
    Kind.TIMESTAMP: _cast_timestamp,
}


def _convert_value_by_value_rule(
    column_type: ColumnType, value: pa.Array
) -> tuple[pa.Array, pa.Array]:
    kind = column_type.kind
    pattern = f"^(?:{column_type.value_pattern})$"
    fits = pc.fill_null(pc.match_substring_regex(value, pattern), False)
    if kind is Kind.DATE:
        text = pc.if_else(fits, value, pa.scalar(None, pa.string()))
        layout = _strptime(column_type)
        parsed = pc.strptime(text, format=layout, unit="s", error_is_null=True)
        # strptime rolls a day past the month's end over (31/02 -> 03/03): a real date is one
        # that reads back as written.
        fits = pc.fill_null(pc.equal(pc.strftime(parsed, format=layout), text), False)
        return pc.if_else(fits, pc.cast(parsed, pa.date32()), pa.scalar(None, pa.date32())), fits
    if kind is Kind.TIMESTAMP:
        return _timestamps(value, fits)
    safe = pc.if_else(fits, value, "0")
    if kind is Kind.INTEGER:
        wide = pc.cast(safe, pa.decimal128(38, 0))
        fits = pc.and_(
            fits,
            pc.and_(
                pc.less_equal(wide, pa.scalar(MAX_BIGINT, pa.decimal128(38, 0))),
                pc.greater_equal(wide, pa.scalar(-MAX_BIGINT - 1, pa.decimal128(38, 0))),
            ),
        )
        narrow = pc.cast(pc.if_else(fits, wide, pa.scalar(0, pa.decimal128(38, 0))), pa.int64())
        return pc.if_else(fits, narrow, pa.scalar(None, pa.int64())), fits
    converted = pc.cast(safe, arrow_type(column_type))
    return pc.if_else(fits, converted, pa.scalar(None, converted.type)), fits


def _timestamps(value: pa.Array, fits: pa.Array) -> tuple[pa.Array, pa.Array]:
    """ISO 8601 timestamps in UTC: with a zone, converted; without one, taken as UTC."""
    target = pa.timestamp("us", tz="UTC")
    zoned = pc.fill_null(pc.match_substring_regex(value, ZONE.pattern), False)
    with_zone = pc.and_(fits, zoned)
    without_zone = pc.and_(fits, pc.invert(zoned))
    try:
        aware = pc.cast(pc.if_else(with_zone, value, "1970-01-01T00:00:00Z"), target)
        naive = pc.cast(pc.if_else(without_zone, value, "1970-01-01 00:00:00"), pa.timestamp("us"))
    except pa.ArrowInvalid:
        return _timestamps_one_by_one(value, fits)
    naive = pc.assume_timezone(naive, "UTC")
    converted = pc.if_else(with_zone, aware, naive)
    return pc.if_else(fits, converted, pa.scalar(None, target)), fits


def _timestamps_one_by_one(value: pa.Array, fits: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The rare layouts Arrow's ISO parser refuses (minutes without seconds, ``+0100``)."""
    from datetime import UTC  # noqa: PLC0415

    parsed, ok = [], []
    for text, candidate in zip(value.to_pylist(), fits.to_pylist(), strict=True):
        result = None
        if candidate:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                result = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
            except ValueError:
                result = None
        parsed.append(result)
        ok.append(result is not None)
    return pa.array(parsed, pa.timestamp("us", tz="UTC")), pa.array(ok)


def _strptime(column_type: ColumnType) -> str:
    pattern = column_type.date_format or "yyyy-MM-dd"
    for spark, python in STRPTIME.items():
        pattern = pattern.replace(spark, python)
    return pattern


def _written(checked: CheckedBatch, request: StageRequest) -> pa.RecordBatch:
    """The good records as written: typed source columns and the metadata columns."""
    values = [array.filter(checked.good) for array in checked.values]
    rows = len(values[0]) if values else int(pc.sum(checked.good).as_py() or 0)
    metadata = {
        PROCESSED_AT: request.processed_at,
        SOURCE_FILE: request.source_uri,
        PROCESSING_JOB: request.job_name,
    }
    values += [
        pa.repeat(pa.scalar(metadata[name], arrow_type(kind)), rows)
        for name, kind in METADATA_TYPES.items()
    ]
    return pa.RecordBatch.from_arrays(values, schema=output_schema(request.columns))
