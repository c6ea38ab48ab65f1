"""The plan of a file's columns: position, header name, output name and type (from the
sample, or from the catalog table the file adds to), and the metadata columns the job adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from applications_repo.file_processor.job.column_names import (
    PROCESSED_AT,
    PROCESSING_JOB,
    SOURCE_FILE,
    clean_names,
)
from applications_repo.file_processor.job.csv_sample import CsvSample
from applications_repo.file_processor.job.type_inference import (
    STRING,
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


def header_metadata(column: PlannedColumn) -> dict[str, str]:
    """What the written column remembers of the header (Parquet footer, Spark schema)."""
    return {"comment": column.raw_name, "source_name": column.raw_name}
