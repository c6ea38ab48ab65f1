"""The plan of a file's columns: position, header name, output name and type (from the
sample, or from the catalog table the file adds to), and the metadata columns the job adds.
"""

from __future__ import annotations

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


def plan_columns(sample: CsvSample) -> list[PlannedColumn]:
    """Output names and types of the header's columns, the types from the sample's
    well-formed rows (``type_widening`` checks them against the whole file, and
    ``schema_policy`` against the dataset's table)."""
    names = clean_names(sample.header)
    rows = [row for row in sample.rows if len(row) == len(sample.header)]
    return [
        PlannedColumn(index, raw, name, infer_type(row[index] for row in rows))
        for index, (raw, name) in enumerate(zip(sample.header, names, strict=True))
    ]


def from_catalog(catalog_type: str, inferred: ColumnType) -> ColumnType:
    """A catalog table's column type (Hive's name) as the job's ``ColumnType``; a date keeps
    the file's date layout when the file's column is a date too."""
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
