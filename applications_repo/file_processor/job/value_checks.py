"""The rule each value must meet, as Arrow compute kernels: one implementation for both
engines (the Arrow engine calls it on each block it reads; the Spark engine on each batch of
its executors, through ``mapInArrow``).

A value is trimmed of blanks; a NULL token is no value; any other value must convert to its
column's type and match the type's pattern (type_inference). Records with a value that does
not fit are rejected with a reason naming the column, the value and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from applications_repo.file_processor.job.column_plan import VALUE_SHOWN_CHARS, PlannedColumn
from applications_repo.file_processor.job.type_inference import (
    BLANKS,
    FALSE_WORDS,
    MAX_BIGINT,
    NULL_TOKENS,
    TRUE_WORDS,
    TYPED_NULL_TOKENS,
    ColumnType,
    Kind,
)

ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
# Spark date patterns -> strptime formats, for the layouts type_inference knows.
STRPTIME = {"yyyy": "%Y", "MM": "%m", "dd": "%d"}


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


NULL_TOKEN_SET = pa.array(sorted(NULL_TOKENS))
TYPED_NULL_TOKEN_SET = pa.array(sorted(NULL_TOKENS | TYPED_NULL_TOKENS))
LONGEST_NULL_TOKEN = max(len(token) for token in NULL_TOKENS | TYPED_NULL_TOKENS)
TRUE_SET = pa.array(sorted(TRUE_WORDS))
FALSE_SET = pa.array(sorted(FALSE_WORDS))
# Lengths of the timestamps TIMESTAMP_PATTERN accepts without a zone: minutes, seconds, and
# seconds with 1 to 9 decimals (and null: no value).
NAIVE_TIMESTAMP_LENGTHS = pa.array([16, 19, *range(21, 30), None], pa.int32())


def _is_null(trimmed: pa.Array, *, typed: bool) -> pa.Array:
    """Where a (trimmed) value stands for "no value" (in a typed column, the ``NA``-style
    tokens too). The tokens are short and ASCII, so only the short values are compared,
    lowered the ASCII way (no other letter lowers to them)."""
    null = pc.is_null(trimmed)
    # bytes, not characters: the tokens are ASCII, and counting bytes is four times cheaper
    short = pc.fill_null(pc.less_equal(pc.binary_length(trimmed), LONGEST_NULL_TOKEN), False)
    if not pc.any(short).as_py():
        return null
    tokens = pc.is_in(
        pc.ascii_lower(trimmed.filter(short)),
        value_set=TYPED_NULL_TOKEN_SET if typed else NULL_TOKEN_SET,
    )
    return pc.or_(null, pc.replace_with_mask(short, short, tokens))


@dataclass(frozen=True)
class CheckedBatch:
    """One block of records: which are good, why the others are not, the converted values."""

    good: pa.Array
    reasons: pa.Array
    values: list[pa.Array]

    @property
    def all_good(self) -> bool:
        return bool(pc.all(self.good).as_py())


def check_batch(
    batch: pa.RecordBatch, columns: Sequence[PlannedColumn], line_ending: str
) -> CheckedBatch:
    """Convert every column once; a record is good when every value fits its column."""
    values, messages = [], []
    for column in columns:
        raw = batch.column(column.field)
        clean = _clean_block(column.type, raw)
        if clean is not None:
            values.append(clean)
            continue
        trimmed = pc.utf8_trim(raw, characters=BLANKS)
        null = _is_null(trimmed, typed=column.type.kind is not Kind.STRING)
        has_tokens = pc.sum(null).as_py() > raw.null_count
        if column.type.kind is Kind.STRING:
            if line_ending != "\n":
                # As Spark does: a quoted line break written as the file's own line ending
                # is stored as "\n".
                raw = pc.replace_substring(raw, line_ending, "\n")
            values.append(
                pc.if_else(null, pa.scalar(None, pa.string()), raw) if has_tokens else raw
            )
            continue
        converted, bad = _typed(column.type, trimmed, null, has_tokens=has_tokens)
        values.append(converted)
        if pc.any(bad).as_py():
            shown = pc.utf8_slice_codeunits(raw, 0, VALUE_SHOWN_CHARS)
            message = pc.binary_join_element_wise(
                f"{column.name}: '", shown, f"' is not {column.type.description}", ""
            )
            messages.append(pc.if_else(bad, message, pa.scalar(None, pa.string())))
    if not messages:
        return CheckedBatch(pa.repeat(True, batch.num_rows), pa.repeat("", batch.num_rows), values)
    reasons = pa.nulls(batch.num_rows, pa.string())
    for message in messages:
        joined = pc.binary_join_element_wise(reasons, message, "; ")
        reasons = pc.if_else(
            pc.is_null(reasons), message, pc.if_else(pc.is_null(message), reasons, joined)
        )
    return CheckedBatch(pc.is_null(reasons), pc.fill_null(reasons, ""), values)


def _clean_block(column_type: ColumnType, raw: pa.Array) -> pa.Array | None:
    """A typed column's block converted in one go when every value in it is present and
    fits as written (no blanks, no null token: the casts refuse both, a double's NaN aside,
    which ``_cast_double`` refuses); None when the block needs the value-by-value rule."""
    if column_type.kind is Kind.STRING:
        return None
    if column_type.kind is Kind.BOOLEAN:
        converted, fits = _convert(column_type, raw)
        return converted if pc.all(pc.or_(fits, pc.is_null(raw))).as_py() else None
    return _cast_whole(column_type, raw)


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
    # Arrow also reads a date alone, or with the hour alone: not in these lengths (of bytes: a
    # value with other than ASCII in it is no timestamp, and the cast refuses it).
    lengths = pc.binary_length(value)
    if not pc.all(pc.is_in(lengths, value_set=NAIVE_TIMESTAMP_LENGTHS)).as_py():
        return None
    # taken as UTC: the same microseconds, read as UTC (no copy)
    return pc.cast(value, pa.timestamp("us")).view(pa.timestamp("us", tz="UTC"))


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


def misfits(column_type: ColumnType, raw: pa.Array) -> list[str]:
    """The distinct values of ``raw`` that are present but do not fit ``column_type``."""
    trimmed = pc.utf8_trim(raw, characters=BLANKS)
    null = _is_null(trimmed, typed=column_type.kind is not Kind.STRING)
    _, bad = _typed(column_type, trimmed, null, has_tokens=True)
    return pc.unique(trimmed.filter(bad)).to_pylist()


def _typed(
    column_type: ColumnType, trimmed: pa.Array, null: pa.Array, *, has_tokens: bool
) -> tuple[pa.Array, pa.Array]:
    """A typed column's values converted, and where a present value does not fit."""
    present = pc.if_else(null, pa.scalar(None, pa.string()), trimmed) if has_tokens else trimmed
    converted, fits = _convert(column_type, present)
    return converted, pc.and_(pc.invert(null), pc.invert(fits))
