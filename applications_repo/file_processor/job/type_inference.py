"""Column types inferred from a bounded sample of values, and the rule each value must meet.

Types: boolean, integer (bigint), decimal (exact, from the sample's scale), double (values with
an exponent), date, timestamp, string. A column is given a type only when every non-null
sample value fits it; anything else stays a string, so inference never loses data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# The blanks around a value that do not belong to it (spaces and tabs); other characters,
# including other Unicode spaces, are part of the value.
BLANKS = " \t"
# Values that mean "no value" in every column (compared case-insensitively, after trimming).
NULL_TOKENS = frozenset({"", "null", "#n/a"})
# Values that mean "no value" in a numeric, boolean or temporal column (R's and pandas' NA,
# NaN, a dash, a dot) and stay values in a text column: "NA" is also Namibia.
TYPED_NULL_TOKENS = frozenset({"na", "n/a", "nan", "-", "."})
ANY_NULL_TOKEN = NULL_TOKENS | TYPED_NULL_TOKENS
TRUE_WORDS = frozenset({"true", "t", "yes", "y"})
FALSE_WORDS = frozenset({"false", "f", "no", "n"})
MAX_DECIMAL_PRECISION = 38
# More decimal places than this in the sample mean computed values (0.06410225025476345),
# not amounts: such a column is a double, which later values with more places still fit.
MAX_EXACT_SCALE = 9
MAX_BIGINT = 2**63 - 1

INTEGER_PATTERN = r"[+-]?\d+"
DECIMAL_PATTERN = r"[+-]?(\d+\.\d*|\.\d+)"
DOUBLE_PATTERN = r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+"
# Timestamps Spark casts directly: ISO 8601 date and time, space or T, optional fraction and
# zone (Z or an offset).
TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?"


class Kind(StrEnum):
    """The kinds of column the job writes."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DOUBLE = "double"
    DATE = "date"
    TIMESTAMP = "timestamp"
    STRING = "string"


@dataclass(frozen=True)
class DateFormat:
    """A date layout: the regular expression a value must match and Spark's pattern for it."""

    regex: str
    spark_pattern: str


# Date layouts, tried in order. Day-first and month-first slashes are told apart by the
# values (a part above 12); when the sample cannot tell, the column stays a string.
DATE_FORMATS = (
    DateFormat(r"\d{4}-\d{2}-\d{2}", "yyyy-MM-dd"),
    DateFormat(r"\d{4}/\d{2}/\d{2}", "yyyy/MM/dd"),
    DateFormat(r"\d{2}\.\d{2}\.\d{4}", "dd.MM.yyyy"),
    DateFormat(r"\d{2}/\d{2}/\d{4}", "dd/MM/yyyy"),
    DateFormat(r"\d{2}/\d{2}/\d{4}", "MM/dd/yyyy"),
)


@dataclass(frozen=True)
class ColumnType:
    """The type of one output column."""

    kind: Kind
    scale: int = 0
    date_format: str | None = None

    @property
    def spark_sql(self) -> str:
        """The Spark SQL type name."""
        return {
            Kind.BOOLEAN: "boolean",
            Kind.INTEGER: "bigint",
            Kind.DECIMAL: f"decimal({MAX_DECIMAL_PRECISION},{self.scale})",
            Kind.DOUBLE: "double",
            Kind.DATE: "date",
            Kind.TIMESTAMP: "timestamp",
            Kind.STRING: "string",
        }[self.kind]

    @property
    def value_pattern(self) -> str | None:
        """The regular expression (full match, trimmed value) a value of this type meets."""
        if self.kind is Kind.INTEGER:
            return INTEGER_PATTERN
        if self.kind is Kind.DECIMAL:
            whole = MAX_DECIMAL_PRECISION - self.scale
            return rf"[+-]?(\d{{1,{whole}}}(\.\d{{0,{self.scale}}})?|\.\d{{1,{self.scale}}})"
        if self.kind is Kind.DOUBLE:
            return rf"({DOUBLE_PATTERN}|{DECIMAL_PATTERN}|{INTEGER_PATTERN})"
        if self.kind is Kind.DATE:
            return next(f.regex for f in DATE_FORMATS if f.spark_pattern == self.date_format)
        if self.kind is Kind.TIMESTAMP:
            return TIMESTAMP_PATTERN
        return None

    @property
    def description(self) -> str:
        """How a value of this type is described in a reject reason."""
        if self.kind is Kind.DECIMAL:
            return f"a decimal number with at most {self.scale} decimal places"
        if self.kind in (Kind.DATE,):
            return f"a date ({self.date_format})"
        return {
            Kind.BOOLEAN: "a boolean (true/false, yes/no, t/f, y/n)",
            Kind.INTEGER: "an integer between -2^63 and 2^63-1",
            Kind.DOUBLE: "a number",
            Kind.TIMESTAMP: "a timestamp (yyyy-MM-dd HH:mm:ss)",
            Kind.STRING: "text",
        }[self.kind]


STRING = ColumnType(Kind.STRING)


def is_null_token(value: str | None, *, typed: bool = False) -> bool:
    """True for the values that stand for "no value" (in a typed column, more of them)."""
    if value is None:
        return True
    token = value.strip(BLANKS).lower()
    return token in NULL_TOKENS or (typed and token in TYPED_NULL_TOKENS)


def infer_type(values: Iterable[str | None]) -> ColumnType:
    """The narrowest type every non-null value fits, or string; ``NA``-style tokens count as
    missing only when the other values give the column a type."""
    # each distinct value once: every rule below holds for all values or for any
    distinct = {v.strip(BLANKS) for v in values if v is not None}
    present = [v for v in distinct if v.lower() not in ANY_NULL_TOKEN]
    if not present:
        return STRING
    for infer in (_boolean, _integer, _decimal, _double, _date, _timestamp):
        found = infer(present)
        if found is not None:
            return found
    return STRING


def _fullmatch_all(pattern: str, values: list[str]) -> bool:
    compiled = re.compile(pattern)
    return all(compiled.fullmatch(v) for v in values)


def _boolean(values: list[str]) -> ColumnType | None:
    words = {v.lower() for v in values}
    if words <= TRUE_WORDS | FALSE_WORDS:
        return ColumnType(Kind.BOOLEAN)
    return None


def _integer(values: list[str]) -> ColumnType | None:
    if not _fullmatch_all(INTEGER_PATTERN, values):
        return None
    if any(_has_leading_zero(v) for v in values):
        return None
    if all(abs(int(v)) <= MAX_BIGINT for v in values):
        return ColumnType(Kind.INTEGER)
    if all(len(v.lstrip("+-")) <= MAX_DECIMAL_PRECISION for v in values):
        return ColumnType(Kind.DECIMAL, scale=0)
    return None


def _decimal(values: list[str]) -> ColumnType | None:
    pattern = f"({DECIMAL_PATTERN}|{INTEGER_PATTERN})"
    if not _fullmatch_all(pattern, values) or any(_has_leading_zero(v) for v in values):
        return None
    scale = max(len(v.partition(".")[2]) for v in values)
    whole = max(len(v.lstrip("+-").partition(".")[0]) for v in values)
    if scale > MAX_EXACT_SCALE:
        return ColumnType(Kind.DOUBLE)
    if whole + scale > MAX_DECIMAL_PRECISION:
        return None
    return ColumnType(Kind.DECIMAL, scale=scale)


def _double(values: list[str]) -> ColumnType | None:
    pattern = f"({DOUBLE_PATTERN}|{DECIMAL_PATTERN}|{INTEGER_PATTERN})"
    if _fullmatch_all(pattern, values) and any(re.search("[eE]", v) for v in values):
        return ColumnType(Kind.DOUBLE)
    return None


def _date(values: list[str]) -> ColumnType | None:
    matching = [f for f in DATE_FORMATS if _fullmatch_all(f.regex, values)]
    matching = [f for f in matching if all(_valid_date(v, f.spark_pattern) for v in values)]
    if not matching:
        return None
    patterns = {f.spark_pattern for f in matching}
    if {"dd/MM/yyyy", "MM/dd/yyyy"} <= patterns:
        return None
    return ColumnType(Kind.DATE, date_format=matching[0].spark_pattern)


def _timestamp(values: list[str]) -> ColumnType | None:
    if _fullmatch_all(TIMESTAMP_PATTERN, values):
        return ColumnType(Kind.TIMESTAMP)
    return None


def _has_leading_zero(value: str) -> bool:
    digits = value.lstrip("+-")
    return len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()


def _valid_date(value: str, spark_pattern: str) -> bool:
    parts = dict(zip(re.split(r"[-/.]", spark_pattern), re.split(r"[-/.]", value), strict=True))
    month, day = int(parts["MM"]), int(parts["dd"])
    return 1 <= month <= 12 and 1 <= day <= 31
