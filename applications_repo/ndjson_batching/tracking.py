"""The tracking table: one item per input file version, keyed ``date_prefix`` (the day its
object was created, ``2025-12-23``) and ``file_name`` (``{key}#{version}``), moving through

    pending -> manifested -> processing -> completed | failed        and   quarantined

Every change of status is one conditional write: it happens only from the statuses
``ALLOWED`` lists (and, past ``pending``, only for the manifest the file belongs to), so two
writers that race cannot both move a file, and a file cannot be in two manifests. Each item
keeps its ``history`` of statuses with their times. Needs only boto3: the functions and the
job ship it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from applications_repo.ndjson_batching.statuses import FileStatus

STATUS_INDEX = "by-status"
PARTITION_KEY = "date_prefix"
SORT_KEY = "file_name"
STATUS = "status"
ARRIVED = "arrived_at"
LOCK_PARTITION = "#batching"
LOCK_SORT = "#lease"
CONDITION_FAILED = "ConditionalCheckFailedException"


IN_FLIGHT = (FileStatus.PENDING, FileStatus.MANIFESTED, FileStatus.PROCESSING)
ALLOWED: dict[FileStatus, tuple[FileStatus, ...]] = {
    FileStatus.MANIFESTED: (FileStatus.PENDING,),
    # a lease expired before its manifest was written; a quarantined file after a fix
    FileStatus.PENDING: (FileStatus.MANIFESTED, FileStatus.QUARANTINED),
    # a manifest's run starts, or runs again (a retry of a failed or stuck batch; a re-run of
    # a manifest replaces its whole output, so its completed files take part again)
    FileStatus.PROCESSING: (
        FileStatus.MANIFESTED,
        FileStatus.PROCESSING,
        FileStatus.FAILED,
        FileStatus.COMPLETED,
    ),
    FileStatus.COMPLETED: (FileStatus.PROCESSING,),
    FileStatus.FAILED: (FileStatus.PROCESSING,),
}
"""Each status, and the statuses a file may come to it from."""


def table_calls(table: str) -> tuple[tuple[str, str], ...]:
    """The AWS calls ``TrackingTable`` makes on ``table`` (an ARN-template name)."""
    arn = f"arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/{table}"
    item_calls = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")
    return (
        *((f"dynamodb:{action}", arn) for action in item_calls),
        ("dynamodb:Query", f"{arn}/index/{STATUS_INDEX}"),
    )


def file_name(key: str, version_id: str | None) -> str:
    """The sort key of one version of ``key``: a new version is a new tracked file."""
    return f"{key}#{version_id or 'null'}"


def date_prefix(created: datetime) -> str:
    return created.astimezone(UTC).strftime("%Y-%m-%d")


def millis(seconds: float) -> int:
    return int(seconds * 1000)


@dataclass(frozen=True)
class TrackedFile:
    """What the builder records about a file when it first sees it."""

    bucket: str
    key: str
    version_id: str | None
    etag: str
    size: int
    created: datetime

    @property
    def item_key(self) -> dict[str, str]:
        return {
            PARTITION_KEY: date_prefix(self.created),
            SORT_KEY: file_name(self.key, self.version_id),
        }


class TrackingTable:
    """The tracking table, through a boto3 DynamoDB ``Table`` resource."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def add(self, file: TrackedFile, now: float, status: FileStatus, reason: str = "") -> bool:
        """Track ``file`` as ``pending`` or ``quarantined``; ``False`` when this version is
        tracked already (the same event delivered again)."""
        item: dict[str, Any] = {
            **file.item_key,
            "bucket": file.bucket,
            "key": file.key,
            "etag": file.etag,
            "size": file.size,
            STATUS: status.value,
            ARRIVED: millis(now),
            "updated_at": millis(now),
            "history": [_history(status, now, reason)],
        }
        if file.version_id:
            item["version_id"] = file.version_id
        if reason:
            item["reason"] = reason
        try:
            self.table.put_item(Item=item, ConditionExpression=Attr(SORT_KEY).not_exists())
        except ClientError as error:
            if error.response["Error"]["Code"] == CONDITION_FAILED:
                return False
            raise
        return True

    def get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        found = self.table.get_item(Key=dict(key), ConsistentRead=True).get("Item")
        return _plain(found) if found else None

    def move(
        self,
        key: Mapping[str, str],
        to: FileStatus,
        now: float,
        *,
        manifest_id: str | None,
        set_fields: Mapping[str, Any] | None = None,
        remove: Sequence[str] = (),
        reason: str = "",
        only_if_before: float | None = None,
    ) -> bool:
        """Move one file to ``to`` if it is in a status ``ALLOWED`` to move there (and, with
        ``manifest_id``, belongs to that manifest; with ``only_if_before``, was last changed
        before that time); whether it moved."""
        names = {"#s": STATUS, "#h": "history", "#u": "updated_at"}
        values: dict[str, Any] = {
            ":to": to.value,
            ":now": millis(now),
            ":entry": [_history(to, now, reason)],
        }
        sets = ["#s = :to", "#u = :now", "#h = list_append(#h, :entry)"]
        allowed = ALLOWED[to]
        conditions = [f"#s IN ({', '.join(f':from{i}' for i in range(len(allowed)))})"]
        values.update({f":from{i}": status.value for i, status in enumerate(allowed)})
        if manifest_id is not None:
            names["#m"] = "manifest_id"
            values[":m"] = manifest_id
            conditions.append("#m = :m")
        if only_if_before is not None:
            values[":before"] = millis(only_if_before)
            conditions.append("#u < :before")
        if reason:
            names["#r"] = "reason"
            values[":r"] = reason
            sets.append("#r = :r")
        for index, (field, value) in enumerate((set_fields or {}).items()):
            names[f"#f{index}"] = field
            values[f":f{index}"] = _dynamo(value)
            sets.append(f"#f{index} = :f{index}")
        expression = "SET " + ", ".join(sets)
        if remove:
            removed = [f"#x{i}" for i in range(len(remove))]
            names.update(dict(zip(removed, remove, strict=True)))
            expression += " REMOVE " + ", ".join(removed)
        try:
            self.table.update_item(
                Key=dict(key),
                UpdateExpression=expression,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == CONDITION_FAILED:
                return False
            raise
        return True

    def in_status(
        self, status: FileStatus, *, limit: int | None = None, arrived_before: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """The files in ``status``, oldest arrival first (the status index)."""
        condition = Key(STATUS).eq(status.value)
        if arrived_before is not None:
            condition = condition & Key(ARRIVED).lt(millis(arrived_before))
        arguments: dict[str, Any] = {"IndexName": STATUS_INDEX, "KeyConditionExpression": condition}
        seen = 0
        while True:
            page = self.table.query(**arguments)
            for item in page.get("Items", []):
                yield _plain(item)
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if "LastEvaluatedKey" not in page:
                return
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def on_date(self, day: str) -> Iterator[dict[str, Any]]:
        """The files whose objects were created on ``day``."""
        arguments: dict[str, Any] = {"KeyConditionExpression": Key(PARTITION_KEY).eq(day)}
        while True:
            page = self.table.query(**arguments)
            yield from (_plain(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count(self, status: FileStatus) -> int:
        total, arguments = (
            0,
            {
                "IndexName": STATUS_INDEX,
                "KeyConditionExpression": Key(STATUS).eq(status.value),
                "Select": "COUNT",
            },
        )
        while True:
            page = self.table.query(**arguments)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def take_lease(self, owner: str, now: float, seconds: int) -> bool:
        """The batching lease: one builder writes manifests at a time; a lease whose holder
        died expires and is taken by the next one."""
        try:
            self.table.put_item(
                Item={
                    PARTITION_KEY: LOCK_PARTITION,
                    SORT_KEY: LOCK_SORT,
                    "owner": owner,
                    "lease_expires": millis(now + seconds),
                },
                ConditionExpression=Attr(SORT_KEY).not_exists()
                | Attr("lease_expires").lt(millis(now)),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == CONDITION_FAILED:
                return False
            raise
        return True

    def give_back_lease(self, owner: str) -> None:
        try:
            self.table.delete_item(
                Key={PARTITION_KEY: LOCK_PARTITION, SORT_KEY: LOCK_SORT},
                ConditionExpression=Attr("owner").eq(owner),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != CONDITION_FAILED:
                raise

    def lease(self) -> dict[str, Any] | None:
        return self.get({PARTITION_KEY: LOCK_PARTITION, SORT_KEY: LOCK_SORT})

    def release_expired_lease(self, now: float) -> str | None:
        """Delete the batching lease if it expired; its owner's id, else ``None``."""
        held = self.lease()
        if held is None or held["lease_expires"] >= millis(now):
            return None
        try:
            self.table.delete_item(
                Key={PARTITION_KEY: LOCK_PARTITION, SORT_KEY: LOCK_SORT},
                ConditionExpression=Attr("owner").eq(held["owner"])
                & Attr("lease_expires").lt(millis(now)),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == CONDITION_FAILED:
                return None
            raise
        return str(held["owner"])


def _history(status: FileStatus, now: float, reason: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": status.value, "at": millis(now)}
    if reason:
        entry["reason"] = reason
    return entry


def _dynamo(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, float) else value


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals as ints (every number this table holds is whole)."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def iso(milliseconds: int) -> str:
    """A stored time, readable."""
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="seconds")
