"""Turns CSV header names into valid, unique, lower snake_case Parquet and Athena names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

MAX_NAME_LENGTH = 128
# Names of the columns the job adds: a source column may not take them.
PROCESSED_AT = "processed_at"
SOURCE_FILE = "source_file"
PROCESSING_JOB = "processing_job"
METADATA_COLUMNS = (PROCESSED_AT, SOURCE_FILE, PROCESSING_JOB)
PARTITION_COLUMN = "ingest_date"
# Athena's reserved words (DDL and DML) that are likely column names; such a name gets a
# trailing underscore so that it never needs quoting.
RESERVED_WORDS = frozenset(
    [
        "all",
        "alter",
        "and",
        "array",
        "as",
        "between",
        "bigint",
        "binary",
        "boolean",
        "both",
        "by",
        "case",
        "cast",
        "char",
        "column",
        "commit",
        "constraint",
        "create",
        "cross",
        "cube",
        "current",
        "current_date",
        "current_time",
        "current_timestamp",
        "cursor",
        "database",
        "date",
        "decimal",
        "delete",
        "describe",
        "distinct",
        "double",
        "drop",
        "else",
        "end",
        "exists",
        "extract",
        "false",
        "fetch",
        "float",
        "for",
        "foreign",
        "from",
        "full",
        "function",
        "grant",
        "group",
        "grouping",
        "having",
        "if",
        "in",
        "inner",
        "insert",
        "int",
        "integer",
        "intersect",
        "interval",
        "into",
        "is",
        "join",
        "left",
        "like",
        "local",
        "map",
        "natural",
        "none",
        "not",
        "null",
        "numeric",
        "of",
        "on",
        "or",
        "order",
        "out",
        "outer",
        "over",
        "partition",
        "percent",
        "primary",
        "range",
        "recursive",
        "reduce",
        "references",
        "right",
        "rollup",
        "row",
        "rows",
        "select",
        "set",
        "smallint",
        "table",
        "then",
        "time",
        "timestamp",
        "to",
        "true",
        "union",
        "unnest",
        "update",
        "user",
        "using",
        "values",
        "varchar",
        "when",
        "where",
        "window",
        "with",
    ]
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def snake_case(raw: str) -> str:
    """ASCII lower snake_case of any text ("Größe (cm)" -> "grosse_cm"); may be empty."""
    text = unicodedata.normalize("NFKD", raw.replace("ß", "ss"))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = _CAMEL_BOUNDARY.sub("_", text.strip()).lower()
    return _NOT_WORD.sub("_", text).strip("_")[:MAX_NAME_LENGTH].rstrip("_")


def clean_name(raw: str, position: int) -> str:
    """One header name as a lower snake_case identifier (not yet made unique).

    Args:
        raw: the name as written in the header.
        position: the column's 1-based position, for names with nothing usable in them.
    """
    name = snake_case(raw)
    if not name:
        return f"column_{position}"
    if name[0].isdigit():
        name = f"col_{name}"
    if name in RESERVED_WORDS:
        name = f"{name}_"
    return name


def clean_names(raw_names: Sequence[str], taken: Iterable[str] = ()) -> list[str]:
    """Clean every header name and make the result unique.

    A name that repeats one before it (or one in ``taken``, the metadata columns by default)
    gets ``_2``, ``_3``, ... in the order of the header.
    """
    used = set(taken) | set(METADATA_COLUMNS) | {PARTITION_COLUMN}
    result: list[str] = []
    for position, raw in enumerate(raw_names, start=1):
        base = clean_name(raw, position)
        name, counter = base, 1
        while name in used:
            counter += 1
            suffix = f"_{counter}"
            name = f"{base[: MAX_NAME_LENGTH - len(suffix)]}{suffix}"
        used.add(name)
        result.append(name)
    return result
