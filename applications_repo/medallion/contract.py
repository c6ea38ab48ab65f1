"""The records of the orders API and what makes one valid: one source of truth for the
sample API, the ingestion and the Glue job. Standard library only (the job and the functions
ship it)."""

from __future__ import annotations

from dataclasses import dataclass

STRING, DECIMAL, TIMESTAMP, CURRENCY, STATUS = (
    "string",
    "decimal",
    "timestamp",
    "currency",
    "status",
)
STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled")
AMOUNT_PRECISION, AMOUNT_SCALE = 12, 2
RECORDS_FIELD, NEXT_CURSOR_FIELD = "data", "next_cursor"
"""Where an API page holds its records and the cursor of the next page."""
UPDATED_AT = "updated_at"


@dataclass(frozen=True)
class Field:
    """One field of a record: its name, what its values are, whether it may be missing."""

    name: str
    kind: str
    required: bool = True


FIELDS = (
    Field("order_id", STRING),
    Field("customer_id", STRING),
    Field("amount", DECIMAL),
    Field("currency", CURRENCY),
    Field("status", STATUS),
    Field("created_at", TIMESTAMP),
    Field(UPDATED_AT, TIMESTAMP),
    Field("note", STRING, required=False),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
