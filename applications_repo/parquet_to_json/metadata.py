"""The metadata table (spec 000's ``etl-pipeline-metadata``): one item per uploaded version
of a source file, keyed ``file_id`` (``{key}@{version}``), moving through

    PENDING -> RUNNING -> SUCCEEDED | FAILED | REJECTED        and REJECTED at upload

Every write is one conditional ``UpdateItem`` of the attributes it changes, never a
read-modify-write of the whole item, so concurrent writers cannot lose each other's updates:

- the orchestrator creates the item only if it does not exist (a repeated event creates
  nothing), then *claims* the start with a fresh ``start_token`` only while none is set (two
  deliveries of one event cannot both start a run);
- a run moves the item to RUNNING only with that token (a Glue retry attempt carries the same
  arguments, so it takes the run over), and finishes it only with its own run id;
- the sweeper fails an item only if it is unchanged since it read it (``updated_at``).

``ALLOWED`` lists the statuses each status may be reached from. Each item keeps its
``history`` of statuses with their times and writers. Needs only boto3: the functions and
the job ship it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from applications_repo.parquet_to_json.statuses import Status
from shared.clock import now

FILE_ID = "file_id"
STATUS = "processing_status"
CREATED = "created_at"
SOURCE = "source_file_path"
STATUS_INDEX = "by-status"
SOURCE_INDEX = "by-source"
CONDITION_FAILED = "ConditionalCheckFailedException"


IN_FLIGHT = (Status.PENDING, Status.RUNNING)
ALLOWED: dict[Status, tuple[Status, ...]] = {
    # an operator's retry of a failed or rejected file
    Status.PENDING: (Status.FAILED, Status.REJECTED),
    # a run starts; a Glue retry attempt takes over a run that died or failed
    Status.RUNNING: (Status.PENDING, Status.RUNNING, Status.FAILED),
    # a run finishes (also one the sweeper had given up on: what it wrote is the truth)
    Status.SUCCEEDED: (Status.RUNNING, Status.FAILED),
    Status.REJECTED: (Status.RUNNING, Status.FAILED),
    # a run fails; the sweeper fails a run that stopped making progress
    Status.FAILED: (Status.PENDING, Status.RUNNING),
}
"""Each status, and the statuses an item may come to it from (a new item starts PENDING,
or REJECTED when its upload fails validation)."""


def table_calls(table: str) -> tuple[tuple[str, str], ...]:
    """The AWS calls ``MetadataTable`` makes on ``table`` (an ARN-template name)."""
    arn = f"arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/{table}"
    return (
        *((f"dynamodb:{action}", arn) for action in ("GetItem", "UpdateItem", "Query")),
        ("dynamodb:Query", f"{arn}/index/{STATUS_INDEX}"),
        ("dynamodb:Query", f"{arn}/index/{SOURCE_INDEX}"),
    )


def file_id(key: str, version_id: str | None) -> str:
    """The item of one version of ``key``: a new version is a new item (and a new run)."""
    return f"{key}@{version_id or 'null'}"


def timestamp(seconds: float | None = None) -> str:
    """ISO-8601 UTC with microseconds, the table's time format (sorts as it reads)."""
    moment = datetime.fromtimestamp(now() if seconds is None else seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain(value: Any) -> Any:
    """An item's value with DynamoDB's Decimals as ints or floats (for JSON)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class NewFile:
    """What the orchestrator knows of an upload when it creates its item."""

    file_id: str
    source_file_path: str
    source_version: str | None
    output_file_path: str
    rejects_file_path: str
    file_size_bytes: int
    previous_file_id: str | None = None


class MetadataTable:
    """Conditional reads and writes of the metadata table (a boto3 ``Table``)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key={FILE_ID: item_id}, ConsistentRead=True).get("Item")

    def create(
        self,
        new: NewFile,
        status: Status,
        by: str,
        error: str | None = None,
        quarantine: str | None = None,
    ) -> bool:
        """Create the item of an upload (REJECTED with ``error`` and where the upload was
        quarantined); False if it exists (a repeated event)."""
        at = timestamp()
        values: dict[str, Any] = {
            SOURCE: new.source_file_path,
            "output_file_path": new.output_file_path,
            "rejects_file_path": new.rejects_file_path,
            "file_size_bytes": new.file_size_bytes,
            STATUS: status.value,
            CREATED: at,
            "updated_at": at,
            "history": [_entry(status, at, by, error)],
        }
        if new.source_version:
            values["source_version"] = new.source_version
        if new.previous_file_id:
            values["previous_file_id"] = new.previous_file_id
        if error:
            values["error_message"] = error
            values["end_time"] = at
        if quarantine:
            values["quarantine"] = quarantine
        return self._update(new.file_id, values, condition=Attr(FILE_ID).not_exists(), remove=())

    def claim_start(self, item_id: str, token: str, by: str) -> bool:
        """Take the right to start the item's run; False when another start holds it or the
        item is past PENDING."""
        return self._update(
            item_id,
            {"start_token": token, "start_requested_at": timestamp(), "updated_at": timestamp()},
            condition=Attr(STATUS).eq(Status.PENDING.value) & Attr("start_token").not_exists(),
            remove=("waiting_reason",),
        )

    def release_start(self, item_id: str, token: str, reason: str) -> bool:
        """Give the claim back when the run could not be started: the item waits, PENDING,
        for the sweeper to start it."""
        return self._update(
            item_id,
            {"waiting_reason": reason, "updated_at": timestamp()},
            condition=Attr("start_token").eq(token) & Attr(STATUS).eq(Status.PENDING.value),
            remove=("start_token", "start_requested_at"),
        )

    def record_start(self, item_id: str, token: str, run_id: str, runs_on: str) -> bool:
        """Note the run the orchestrator started (unless the run already noted itself)."""
        return self._update(
            item_id,
            {"job_run_id": run_id, "runs_on": runs_on},
            condition=Attr("start_token").eq(token) & Attr("job_run_id").not_exists(),
            remove=(),
        )

    def begin_run(self, item_id: str, token: str, run_id: str, engine: str) -> bool:
        """PENDING (or a failed or dead attempt) -> RUNNING for the run holding ``token``."""
        at = timestamp()
        return self._transition(
            item_id,
            Status.RUNNING,
            run_id,
            {"job_run_id": run_id, "engine": engine, "start_time": at},
            extra_condition=Attr("start_token").eq(token),
            add_attempt=True,
        )

    def progress(self, item_id: str, run_id: str, progress: Mapping[str, Any]) -> bool:
        """The running run's progress (its rows so far)."""
        return self._update(
            item_id,
            {"progress": dict(progress), "updated_at": timestamp()},
            condition=Attr(STATUS).eq(Status.RUNNING.value) & Attr("job_run_id").eq(run_id),
            remove=(),
        )

    def finish(
        self,
        item_id: str,
        run_id: str,
        status: Status,
        values: Mapping[str, Any],
        error: str | None = None,
    ) -> bool:
        """RUNNING -> SUCCEEDED, REJECTED or FAILED for the run that holds the item."""
        fields = {**values, "end_time": timestamp()}
        if error:
            fields["error_message"] = error
        return self._transition(
            item_id,
            status,
            run_id,
            fields,
            extra_condition=Attr("job_run_id").eq(run_id),
            remove=() if error else ("error_message",),
        )

    def give_up(self, item: Mapping[str, Any], reason: str, by: str) -> bool:
        """Fail an item the sweeper found without progress, if it is unchanged since."""
        return self._transition(
            item[FILE_ID],
            Status.FAILED,
            by,
            {"error_message": reason, "end_time": timestamp()},
            extra_condition=Attr("updated_at").eq(item["updated_at"]),
        )

    def retry(self, item_id: str, by: str) -> bool:
        """FAILED or REJECTED -> PENDING, its claim and run forgotten, to be started again."""
        return self._transition(
            item_id,
            Status.PENDING,
            by,
            {"waiting_reason": f"retry requested by {by}"},
            remove=("start_token", "start_requested_at", "job_run_id", "error_message"),
        )

    def by_status(self, status: Status, before: str | None = None) -> Iterator[dict[str, Any]]:
        """Items in ``status`` (created before ``before``), oldest first, page by page."""
        condition = Key(STATUS).eq(status.value)
        if before:
            condition &= Key(CREATED).lt(before)
        query: dict[str, Any] = {"IndexName": STATUS_INDEX, "KeyConditionExpression": condition}
        while True:
            page = self.table.query(**query)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count(self, status: Status) -> int:
        """How many items are in ``status`` (the index counts them; no item is read)."""
        query: dict[str, Any] = {
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": Key(STATUS).eq(status.value),
            "Select": "COUNT",
        }
        total = 0
        while True:
            page = self.table.query(**query)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def latest_of(self, source: str) -> dict[str, Any] | None:
        """The newest item of a source path (an earlier version's)."""
        page = self.table.query(
            IndexName=SOURCE_INDEX,
            KeyConditionExpression=Key(SOURCE).eq(source),
            ScanIndexForward=False,
            Limit=1,
        )
        items = page.get("Items", [])
        return items[0] if items else None

    def _transition(
        self,
        item_id: str,
        status: Status,
        by: str,
        values: Mapping[str, Any],
        *,
        extra_condition: Any = None,
        remove: tuple[str, ...] = (),
        add_attempt: bool = False,
    ) -> bool:
        at = timestamp()
        condition = Attr(STATUS).is_in([s.value for s in ALLOWED[status]])
        if extra_condition is not None:
            condition &= extra_condition
        fields = {**values, STATUS: status.value, "updated_at": at}
        error = values.get("error_message")
        return self._update(
            item_id,
            fields,
            condition=condition,
            remove=remove,
            history=_entry(status, at, by, error),
            add_attempt=add_attempt,
        )

    def _update(
        self,
        item_id: str,
        values: Mapping[str, Any],
        *,
        condition: Any,
        remove: tuple[str, ...],
        history: Mapping[str, str] | None = None,
        add_attempt: bool = False,
    ) -> bool:
        # boto3 names the condition's placeholders #n0, :v0, ...: these must differ
        names = {f"#set{i}": name for i, name in enumerate(values)}
        sets = [f"#set{i} = :set{i}" for i in range(len(values))]
        expression_values: dict[str, Any] = {
            f":set{i}": _storable(v) for i, v in enumerate(values.values())
        }
        if history is not None:
            names["#history"] = "history"
            sets.append("#history = list_append(if_not_exists(#history, :empty), :entry)")
            expression_values |= {":empty": [], ":entry": [dict(history)]}
        if add_attempt:
            names["#attempts"] = "attempts"
            sets.append("#attempts = if_not_exists(#attempts, :zero) + :one")
            expression_values |= {":zero": 0, ":one": 1}
        expression = "SET " + ", ".join(sets)
        if remove:
            names |= {f"#remove{i}": name for i, name in enumerate(remove)}
            expression += " REMOVE " + ", ".join(f"#remove{i}" for i in range(len(remove)))
        try:
            self.table.update_item(
                Key={FILE_ID: item_id},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=expression_values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == CONDITION_FAILED:
                return False
            raise
        return True


def _entry(status: Status, at: str, by: str, error: str | None) -> dict[str, str]:
    entry = {"status": status.value, "at": at, "by": by}
    if error:
        entry["error"] = error
    return entry


def _storable(value: Any) -> Any:
    """Floats as Decimals (DynamoDB takes no float), in maps and lists too."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value
