"""The checkpoints table: one item per run date, holding how far its ingestion got (so a
failed attempt resumes at its cursor) and which ingestion the Glue job last carried to gold
(its watermark). Every write is conditional on the execution that holds the date."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Attr

RUN_DATE = "run_date"
INGESTING, INGESTED = "INGESTING", "INGESTED"


class DateBusyError(RuntimeError):
    """Another execution is ingesting the date."""


class LostClaimError(RuntimeError):
    """The date was taken over by another execution while this one ran."""


def table_calls(table: str) -> tuple[tuple[str, str], ...]:
    """The AWS calls ``Checkpoints`` makes on ``table`` (an ARN-template name)."""
    arn = f"arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/{table}"
    return (("dynamodb:GetItem", arn), ("dynamodb:PutItem", arn), ("dynamodb:UpdateItem", arn))


@dataclass(frozen=True)
class Checkpoint:
    """Where the ingestion of one date stands."""

    run_date: str
    execution: str
    status: str
    cursor: str | None = None
    pages: int = 0
    records: int = 0
    bytes: int = 0
    resumed: bool = False

    @classmethod
    def of(cls, item: dict[str, Any], *, resumed: bool = False) -> Checkpoint:
        return cls(
            run_date=str(item[RUN_DATE]),
            execution=str(item["execution"]),
            status=str(item["status"]),
            cursor=item.get("cursor"),
            pages=int(item.get("pages", 0)),
            records=int(item.get("records", 0)),
            bytes=int(item.get("bytes", 0)),
            resumed=resumed,
        )


class Checkpoints:
    """The table, through a boto3 ``Table`` resource."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, run_date: str) -> dict[str, Any] | None:
        return self.table.get_item(Key={RUN_DATE: run_date}, ConsistentRead=True).get("Item")

    def claim(self, run_date: str, execution: str, now: str, stale_before: str) -> Checkpoint:
        """The date for ``execution``: its own checkpoint when it ingested part of it before
        (a retry resumes), else a fresh one (a new execution replaces the date).

        Raises:
            DateBusyError: another execution ingested the date since ``stale_before``.
        """
        item = self.get(run_date)
        if item and item["execution"] == execution and item["status"] == INGESTING:
            return Checkpoint.of(item, resumed=True)
        fresh = {RUN_DATE: run_date, "execution": execution, "status": INGESTING}
        kept = {k: v for k, v in (item or {}).items() if k.startswith("transformed_")}
        free = (
            Attr(RUN_DATE).not_exists()
            | Attr("status").ne(INGESTING)
            | Attr("updated_at").lt(stale_before)
        )
        try:
            self.table.put_item(
                Item={**kept, **fresh, "pages": 0, "records": 0, "bytes": 0, "updated_at": now},
                ConditionExpression=free,
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            held = self.get(run_date) or {}
            raise DateBusyError(
                f"run date {run_date} is being ingested by execution {held.get('execution')} "
                f"(last progress {held.get('updated_at')}); this execution leaves it alone"
            ) from None
        return Checkpoint.of(fresh)

    def advance(self, checkpoint: Checkpoint, now: str) -> None:
        """Record the pages written so far and the cursor of the next.

        Raises:
            LostClaimError: another execution took the date over.
        """
        values: dict[str, Any] = {
            ":pages": checkpoint.pages,
            ":records": checkpoint.records,
            ":bytes": checkpoint.bytes,
            ":now": now,
        }
        expression = "SET pages = :pages, records = :records, #b = :bytes, updated_at = :now"
        if checkpoint.cursor is None:
            expression += " REMOVE #c"
        else:
            expression += ", #c = :cursor"
            values[":cursor"] = checkpoint.cursor
        self._update(checkpoint, expression, values, {"#b": "bytes", "#c": "cursor"})

    def finish(self, checkpoint: Checkpoint, manifest: str, now: str) -> None:
        """The date's ingestion is complete: its manifest lists its pages."""
        self._update(
            checkpoint,
            "SET #s = :done, manifest = :manifest, updated_at = :now REMOVE #c",
            {":done": INGESTED, ":manifest": manifest, ":now": now},
            {"#s": "status", "#c": "cursor"},
        )

    def _update(
        self,
        checkpoint: Checkpoint,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str],
    ) -> None:
        try:
            self.table.update_item(
                Key={RUN_DATE: checkpoint.run_date},
                UpdateExpression=expression,
                ConditionExpression="execution = :me",
                ExpressionAttributeValues={**values, ":me": checkpoint.execution},
                ExpressionAttributeNames=names,
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            raise LostClaimError(
                f"run date {checkpoint.run_date} was taken over by another execution while "
                f"{checkpoint.execution} ingested it"
            ) from None


def mark_transformed(table: Any, run_date: str, execution: str, now: str) -> None:
    """The Glue job's watermark: the ingestion of ``execution`` reached gold."""
    table.update_item(
        Key={RUN_DATE: run_date},
        UpdateExpression="SET transformed_execution = :e, transformed_at = :now",
        ExpressionAttributeValues={":e": execution, ":now": now},
    )


def transformed_execution(table: Any, run_date: str) -> str | None:
    """The ingestion of the date the Glue job last carried to gold."""
    item = table.get_item(Key={RUN_DATE: run_date}, ConsistentRead=True).get("Item") or {}
    value = item.get("transformed_execution")
    return str(value) if value else None
