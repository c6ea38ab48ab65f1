"""What a taxi file must hold and what its rows must satisfy: the schema and the quality
rules the job checks, as the job receives them (JSON in its ``--contract`` argument).

Standard library only: the job and the functions ship this module. The settings
(``settings.py``) validate the same structure in platform.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Family(StrEnum):
    """The kinds of values a column may hold; each admits several physical types (TLC files
    changed theirs over the years: ``passenger_count`` was double, is int64 now)."""

    INTEGER = "integer"
    NUMBER = "number"
    """Integers, floating point or decimals."""
    TIMESTAMP = "timestamp"
    DATE = "date"
    STRING = "string"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    """One column of the schema: its family, and whether a file may lack it."""

    name: str
    family: Family
    required: bool = True


@dataclass(frozen=True)
class Range:
    """``column`` must lie between ``low`` and ``high`` (inclusive) where it is not null."""

    column: str
    low: float
    high: float

    @property
    def rule(self) -> str:
        return f"{self.column}_out_of_range"

    @property
    def reason(self) -> str:
        return f"{self.column} is outside {self.low:g}..{self.high:g}"


@dataclass(frozen=True)
class NonNegative:
    """``column`` must not be negative where it is not null."""

    column: str

    @property
    def rule(self) -> str:
        return f"{self.column}_negative"

    @property
    def reason(self) -> str:
        return f"{self.column} is negative"


@dataclass(frozen=True)
class Before:
    """``first`` must be earlier than ``then`` where both are set."""

    first: str
    then: str

    @property
    def rule(self) -> str:
        return f"{self.first}_not_before_{self.then}"

    @property
    def reason(self) -> str:
        return f"{self.first} is not before {self.then}"


Rule = Range | NonNegative | Before


@dataclass(frozen=True)
class Contract:
    """The schema a file is checked against and the rules each of its rows is checked by."""

    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = field(default=())

    def column(self, name: str) -> Column | None:
        """The schema's column of that name, compared without case (TLC wrote
        ``airport_fee`` in some years and ``Airport_fee`` in others)."""
        wanted = name.casefold()
        return next((c for c in self.columns if c.name.casefold() == wanted), None)

    def to_json(self) -> str:
        ranges = [r for r in self.rules if isinstance(r, Range)]
        return json.dumps(
            {
                "columns": [[c.name, c.family.value, c.required] for c in self.columns],
                "non_negative": [r.column for r in self.rules if isinstance(r, NonNegative)],
                "ranges": [[r.column, r.low, r.high] for r in ranges],
                "before": [[r.first, r.then] for r in self.rules if isinstance(r, Before)],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Contract:
        data: Mapping[str, Any] = json.loads(text)
        rules: list[Rule] = [NonNegative(c) for c in data.get("non_negative", [])]
        rules += [Range(c, float(low), float(high)) for c, low, high in data.get("ranges", [])]
        rules += [Before(a, b) for a, b in data.get("before", [])]
        columns = tuple(Column(n, Family(f), bool(r)) for n, f, r in data["columns"])
        return cls(columns, tuple(rules))
