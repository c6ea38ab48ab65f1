"""One schema per dataset: the rule a file's columns meet against the dataset's table.

- A column the table lacks is added (the file's type).
- A column whose values all fit the table's type is written in the table's type (a file of
  integers into a decimal or double column, anything into a text column).
- A column whose values need a type the table's cannot hold (text where the table has
  numbers, decimals where it has integers) makes the file REJECTED as a whole, with one
  reason naming the dataset, the column, the table's type and the file's. The table's types
  never change in place: the Parquet files already written keep their physical types, and
  Athena's and Spark's readers do not read an int64 column as decimal, double or text, so a
  widened table would make the dataset unreadable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from applications_repo.file_processor.job.column_plan import PlannedColumn, from_catalog
from applications_repo.file_processor.job.csv_sample import CsvSample
from applications_repo.file_processor.job.type_inference import ColumnType, Kind, is_null_token
from shared.glue.catalog import CatalogColumn

NUMBER_KINDS = frozenset({Kind.INTEGER, Kind.DECIMAL, Kind.DOUBLE})


class IncompatibleFileError(ValueError):
    """The file's columns do not fit its dataset's table."""


def conform(
    columns: Sequence[PlannedColumn],
    table: Sequence[CatalogColumn] | None,
    dataset: str,
    sample: CsvSample,
) -> list[PlannedColumn]:
    """The columns as written into ``dataset``: the table's types where it has the column.

    Raises:
        IncompatibleFileError: naming every column whose values the table's type cannot hold.
    """
    if not table:
        return list(columns)
    types = {c.name: c.type for c in table}
    conformed, problems = [], []
    for column in columns:
        if column.name not in types:
            conformed.append(column)
            continue
        table_type = from_catalog(types[column.name], column.type)
        if fits(column.type, table_type) or _no_values(sample, column):
            conformed.append(replace(column, type=table_type))
        else:
            problems.append(
                f"{column.name} is {types[column.name]} in the table, the file's is "
                f"{column.type.description}"
            )
    if problems:
        raise IncompatibleFileError(
            f"does not fit dataset {dataset}: {'; '.join(problems)}; nothing written "
            "(send it to a new dataset folder, or move the dataset's files aside first)"
        )
    return conformed


def fits(file_type: ColumnType, table_type: ColumnType) -> bool:
    """Whether every value of a column of ``file_type`` converts to ``table_type`` unchanged."""
    if table_type.kind is Kind.STRING or file_type == table_type:
        return True
    if table_type.kind is Kind.DOUBLE:
        return file_type.kind in NUMBER_KINDS
    if table_type.kind is Kind.DECIMAL:
        return file_type.kind is Kind.INTEGER or (
            file_type.kind is Kind.DECIMAL and file_type.scale <= table_type.scale
        )
    if table_type.kind is Kind.DATE:
        return file_type.kind is Kind.DATE
    return file_type.kind is table_type.kind


def _no_values(sample: CsvSample, column: PlannedColumn) -> bool:
    """The file has no value in the column (a text column by default): nothing to fit."""
    return sample.every_row and all(
        is_null_token(row[column.index], typed=True)
        for row in sample.rows
        if len(row) == len(sample.header)
    )
