"""The plan of a file's columns (name, type), and each column's check and conversion as a
Spark SQL expression.

Expressions are written as SQL text, one string per column, rather than built from
``pyspark.sql.functions`` call by call: a 1000-column file then costs a few calls into the JVM
instead of tens of thousands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from applications_repo.file_processor.job.column_names import (
    PROCESSED_AT,
    PROCESSING_JOB,
    SOURCE_FILE,
    clean_names,
)
from applications_repo.file_processor.job.csv_sample import CsvSample
from applications_repo.file_processor.job.type_inference import (
    BLANKS,
    FALSE_WORDS,
    NULL_TOKENS,
    STRING,
    TRUE_WORDS,
    ColumnType,
    Kind,
    infer_type,
)
from shared.glue.catalog import CatalogColumn

VALUE_SHOWN_CHARS = 60
# The spec's metadata columns, in their order, with their types.
METADATA_TYPES = {
    PROCESSED_AT: ColumnType(Kind.TIMESTAMP),
    SOURCE_FILE: STRING,
    PROCESSING_JOB: STRING,
}
CATALOG_KINDS = {
    "boolean": Kind.BOOLEAN,
    "bigint": Kind.INTEGER,
    "double": Kind.DOUBLE,
    "timestamp": Kind.TIMESTAMP,
    "string": Kind.STRING,
}


@dataclass(frozen=True)
class PlannedColumn:
    """A source column: position, header name, output name, type."""

    index: int
    raw_name: str
    name: str
    type: ColumnType

    @property
    def field(self) -> str:
        """The column's name while every field is still text."""
        return f"_c{self.index}"


def plan_columns(
    sample: CsvSample, existing: Sequence[CatalogColumn] | None = None
) -> list[PlannedColumn]:
    """Output names and types of the header's columns.

    Types come from the sample's well-formed rows; a column the dataset's table already has
    keeps the table's type, so every file of a dataset writes the same schema.
    """
    names = clean_names(sample.header)
    rows = [row for row in sample.rows if len(row) == len(sample.header)]
    known = {c.name: c.type for c in existing or []}
    planned = []
    for index, (raw, name) in enumerate(zip(sample.header, names, strict=True)):
        inferred = infer_type(row[index] for row in rows)
        kind = _from_catalog(known[name], inferred) if name in known else inferred
        planned.append(PlannedColumn(index, raw, name, kind))
    return planned


def _from_catalog(catalog_type: str, inferred: ColumnType) -> ColumnType:
    if catalog_type.startswith("decimal("):
        return ColumnType(Kind.DECIMAL, scale=int(catalog_type.rstrip(")").split(",")[1]))
    if catalog_type == "date":
        if inferred.kind is Kind.DATE:
            return inferred
        return ColumnType(Kind.DATE, date_format="yyyy-MM-dd")
    return ColumnType(CATALOG_KINDS.get(catalog_type, Kind.STRING))


def sql_string(value: str) -> str:
    """A Spark SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _words(words: frozenset[str]) -> str:
    return ", ".join(sql_string(word) for word in sorted(words))


def trimmed(column: PlannedColumn) -> str:
    """The field without the blanks around it."""
    return f"trim(BOTH {sql_string(BLANKS)} FROM {column.field})"


def is_null(column: PlannedColumn) -> str:
    """True when the field holds no value (missing, empty or a NULL token)."""
    return f"({column.field} IS NULL OR lower({trimmed(column)}) IN ({_words(NULL_TOKENS)}))"


def converted(column: PlannedColumn) -> str:
    """The field in the column's type; NULL when it does not convert."""
    value = trimmed(column)
    kind = column.type.kind
    if kind is Kind.STRING:
        return column.field
    if kind is Kind.BOOLEAN:
        return (
            f"CASE WHEN lower({value}) IN ({_words(TRUE_WORDS)}) THEN true "
            f"WHEN lower({value}) IN ({_words(FALSE_WORDS)}) THEN false END"
        )
    if kind is Kind.DATE:
        return f"to_date({value}, {sql_string(column.type.date_format or '')})"
    return f"CAST({value} AS {column.type.spark_sql})"


def problem(column: PlannedColumn) -> str | None:
    """Why a field does not fit its column, as text; NULL when it fits. ``None`` for text
    columns, which every value fits."""
    if column.type.kind is Kind.STRING:
        return None
    fits = f"({converted(column)}) IS NOT NULL"
    if column.type.value_pattern:
        pattern = sql_string(f"^(?:{column.type.value_pattern})$")
        fits += f" AND {trimmed(column)} RLIKE {pattern}"
    before = sql_string(f"{column.name}: '")
    after = sql_string("' is not " + column.type.description)
    shown = f"substring({column.field}, 1, {VALUE_SHOWN_CHARS})"
    message = f"concat({before}, {shown}, {after})"
    return f"CASE WHEN NOT {is_null(column)} AND NOT ({fits}) THEN {message} END"


def output(column: PlannedColumn) -> str:
    """The column's value as written: NULL for no value, else the converted field."""
    return (
        f"CAST(CASE WHEN {is_null(column)} THEN NULL ELSE {converted(column)} END "
        f"AS {column.type.spark_sql})"
    )


def header_metadata(column: PlannedColumn) -> dict[str, str]:
    """What the written column remembers of the header (Parquet footer, Spark schema)."""
    return {"comment": column.raw_name, "source_name": column.raw_name}


def metadata_values(source_file: str, job_name: str, processed_at: datetime) -> list[str]:
    """The spec's metadata columns: ``processed_at``, ``source_file``, ``processing_job``."""
    return [
        f"CAST({sql_string(processed_at.isoformat())} AS TIMESTAMP) AS {PROCESSED_AT}",
        f"{sql_string(source_file)} AS {SOURCE_FILE}",
        f"{sql_string(job_name)} AS {PROCESSING_JOB}",
    ]
