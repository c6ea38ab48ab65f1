"""A file's columns checked against the taxi schema: which column of the file feeds which key
of the JSON, and why a file cannot be converted.

A file is rejected, with every reason in one line, when it lacks a required column, holds a
column of the schema with a type outside its family (text where ``fare_amount`` is a number),
holds two columns that differ only by case, or holds a column of a type the JSON contract does
not cover. Columns the schema does not name are reported and converted under their own names;
columns of the schema keep the schema's spelling (``airport_fee`` of a 2023 file is
``Airport_fee``), so every month's JSON has the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from applications_repo.parquet_to_json.contract import Contract, Family

ADMITS: dict[Family, frozenset[Family]] = {
    Family.INTEGER: frozenset({Family.INTEGER}),
    Family.NUMBER: frozenset({Family.INTEGER, Family.NUMBER}),
    Family.TIMESTAMP: frozenset({Family.TIMESTAMP}),
    Family.DATE: frozenset({Family.DATE}),
    Family.STRING: frozenset({Family.STRING}),
    Family.BOOLEAN: frozenset({Family.BOOLEAN}),
}
"""The families of a file's column that each schema family accepts (an integer column where
the schema has a number widens losslessly in JSON)."""


@dataclass(frozen=True)
class FileColumn:
    """A column as the engine reads it: its name, type (as the engine spells it) and family
    (None when the JSON contract does not cover its type)."""

    name: str
    type_name: str
    family: Family | None


@dataclass(frozen=True)
class PlannedColumn:
    """A column to convert: where it comes from and the key it is written under."""

    source: str
    key: str
    family: Family


@dataclass(frozen=True)
class SchemaPlan:
    """What converting a file means, or why it cannot be converted."""

    columns: tuple[PlannedColumn, ...]
    problems: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    missing_optional: tuple[str, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return "; ".join(self.problems) or None

    def source_of(self, key: str) -> str:
        """The file's column written under ``key`` (a schema name)."""
        return next(c.source for c in self.columns if c.key == key)

    def report(self) -> dict[str, list[str] | dict[str, str]]:
        """What the run stores about the schema: unknown, absent optional and renamed columns."""
        return {
            "unknown_columns": list(self.unknown),
            "missing_optional_columns": list(self.missing_optional),
            "renamed_columns": dict(self.renamed),
        }


def plan(columns: Sequence[FileColumn], contract: Contract) -> SchemaPlan:
    """Match a file's columns to the contract's schema."""
    problems: list[str] = []
    planned: list[PlannedColumn] = []
    unknown: list[str] = []
    renamed: dict[str, str] = {}
    seen: dict[str, str] = {}
    for column in columns:
        folded = column.name.casefold()
        if folded in seen:
            problems.append(f"columns {seen[folded]!r} and {column.name!r} differ only by case")
            continue
        seen[folded] = column.name
        if column.family is None:
            problems.append(
                f"column {column.name!r} has type {column.type_name}, which the JSON contract "
                "does not cover"
            )
            continue
        wanted = contract.column(column.name)
        if wanted is None:
            unknown.append(column.name)
            planned.append(PlannedColumn(column.name, column.name, column.family))
            continue
        if column.family not in ADMITS[wanted.family]:
            problems.append(
                f"column {column.name!r} is {column.type_name} ({column.family.value}); the "
                f"schema expects {wanted.family.value}"
            )
            continue
        if column.name != wanted.name:
            renamed[column.name] = wanted.name
        planned.append(PlannedColumn(column.name, wanted.name, wanted.family))
    present = {c.name.casefold() for c in columns}
    absent = [c for c in contract.columns if c.name.casefold() not in present]
    missing = [c.name for c in absent if c.required]
    if missing:
        problems.insert(0, f"missing required columns: {', '.join(missing)}")
    return SchemaPlan(
        columns=tuple(planned),
        problems=tuple(problems),
        unknown=tuple(unknown),
        missing_optional=tuple(c.name for c in absent if not c.required),
        renamed=renamed,
    )
