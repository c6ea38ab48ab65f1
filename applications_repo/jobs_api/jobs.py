"""The jobs table: one item per job, keyed ``file_id`` (the job id), the parquet-to-json
metadata item of the job's file with the API's own states before and after it:

    UPLOADING -> UPLOADED -> PENDING -> RUNNING -> SUCCEEDED | FAILED | REJECTED
    UPLOADING -> REJECTED (the upload is not a Parquet file the job can read)
    UPLOADING | UPLOADED | PENDING -> CANCELLED;  FAILED | CANCELLED -> PENDING (a retry)

From PENDING on, the parquet-to-json conversion moves the item (``MetadataTable``: a start
claimed with a token, the run's own id); every move here is one conditional ``UpdateItem``,
so the rules hold in the database whoever writes: a job is ``UPLOADED`` only once S3's event
confirms its object, started once, and a run cannot begin on a cancelled job (its
``begin_run`` requires PENDING). Needs only boto3: the functions ship it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from applications_repo.parquet_to_json.metadata import (
    CREATED,
    FILE_ID,
    SOURCE,
    STATUS,
    STATUS_INDEX,
    MetadataTable,
    timestamp,
)

LISTED = "listed"
"""An attribute every job has, with one value: the partition key of ``LISTED_INDEX``."""
LISTED_VALUE = "job"
LISTED_INDEX = "by-created"
UPLOADS_PREFIX = "uploads/"
OUTPUTS_PREFIX = "jobs/"


class JobStatus(StrEnum):
    UPLOADING = "UPLOADING"
    UPLOADED = "UPLOADED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


CANCELLABLE = (JobStatus.UPLOADING, JobStatus.UPLOADED, JobStatus.PENDING)
RETRYABLE = (JobStatus.FAILED, JobStatus.CANCELLED)


class BadCursorError(ValueError):
    """A ``next`` token this API did not issue (or for another listing)."""


def upload_key(job_id: str, filename: str) -> str:
    return f"{UPLOADS_PREFIX}{job_id}/{filename}"


def job_of_key(key: str) -> str | None:
    """The job id of an upload's key (``uploads/<job>/<file>``), else None."""
    parts = key.split("/")
    if len(parts) != 3 or f"{parts[0]}/" != UPLOADS_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def table_calls(table: str) -> tuple[tuple[str, str], ...]:
    """The AWS calls ``JobsTable`` makes on ``table`` (an ARN-template name)."""
    arn = f"arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/{table}"
    return (
        *((f"dynamodb:{action}", arn) for action in ("GetItem", "UpdateItem")),
        ("dynamodb:Query", f"{arn}/index/{STATUS_INDEX}"),
        ("dynamodb:Query", f"{arn}/index/{LISTED_INDEX}"),
    )


@dataclass(frozen=True)
class Page:
    """One page of jobs and the token of the next (None: the last page)."""

    items: list[dict[str, Any]]
    next: str | None


class JobsTable(MetadataTable):
    """The job's own moves, beside the conversion's (``MetadataTable``)."""

    def create_job(
        self, job_id: str, *, filename: str, source: str, output: str, rejects: str, by: str
    ) -> bool:
        """A new job, UPLOADING, waiting for its object; False if the id exists."""
        at = timestamp()
        return self._update(
            job_id,
            {
                LISTED: LISTED_VALUE,
                "filename": filename,
                SOURCE: source,
                "output_file_path": output,
                "rejects_file_path": rejects,
                STATUS: JobStatus.UPLOADING.value,
                CREATED: at,
                "updated_at": at,
                "history": [{"status": JobStatus.UPLOADING.value, "at": at, "by": by}],
            },
            condition=Attr(FILE_ID).not_exists(),
            remove=(),
        )

    def confirm_upload(
        self, job_id: str, *, size: int, version: str | None, by: str, problem: str | None
    ) -> bool:
        """UPLOADING -> UPLOADED (the object is there), or REJECTED with ``problem``."""
        values: dict[str, Any] = {"file_size_bytes": size, "uploaded_at": timestamp()}
        if version:
            values["source_version"] = version
        if problem:
            values |= {"error_message": problem, "end_time": timestamp()}
        status = JobStatus.REJECTED if problem else JobStatus.UPLOADED
        return self.move(job_id, (JobStatus.UPLOADING,), status, by, values)

    def request_start(self, job_id: str, by: str) -> bool:
        """UPLOADED -> PENDING: the conversion may be started."""
        return self.move(job_id, (JobStatus.UPLOADED,), JobStatus.PENDING, by, {})

    def cancel(self, job_id: str, by: str) -> bool:
        """UPLOADING, UPLOADED or PENDING -> CANCELLED."""
        return self.move(job_id, CANCELLABLE, JobStatus.CANCELLED, by, {"end_time": timestamp()})

    def retry_job(self, job_id: str, by: str) -> bool:
        """FAILED, or CANCELLED once uploaded -> PENDING, its claim and run forgotten."""
        return self.move(
            job_id,
            RETRYABLE,
            JobStatus.PENDING,
            by,
            {"waiting_reason": f"retry requested by {by}"},
            extra=Attr("file_size_bytes").exists(),
            remove=("start_token", "start_requested_at", "job_run_id", "error_message"),
        )

    def move(
        self,
        job_id: str,
        sources: tuple[JobStatus, ...],
        status: JobStatus,
        by: str,
        values: Mapping[str, Any],
        *,
        extra: Any = None,
        remove: tuple[str, ...] = (),
    ) -> bool:
        """``sources`` -> ``status``, conditionally; False when the job is in none of them."""
        at = timestamp()
        condition = Attr(STATUS).is_in([s.value for s in sources])
        if extra is not None:
            condition &= extra
        entry = {"status": status.value, "at": at, "by": by}
        if values.get("error_message"):
            entry["error"] = values["error_message"]
        return self._update(
            job_id,
            {**values, STATUS: status.value, "updated_at": at},
            condition=condition,
            remove=remove,
            history=entry,
        )

    def page(self, status: JobStatus | None, limit: int, cursor: str | None) -> Page:
        """Newest first: the jobs in ``status`` (its index), or every job (the listing
        index); at most ``limit``, from ``cursor``.

        Raises:
            BadCursorError: ``cursor`` is not a token of this listing.
        """
        if status is None:
            index, condition = LISTED_INDEX, Key(LISTED).eq(LISTED_VALUE)
            keys = {FILE_ID, LISTED, CREATED}
        else:
            index, condition = STATUS_INDEX, Key(STATUS).eq(status.value)
            keys = {FILE_ID, STATUS, CREATED}
        query: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            query["ExclusiveStartKey"] = decode_cursor(cursor, keys)
        answer = self.table.query(**query)
        last = answer.get("LastEvaluatedKey")
        return Page(answer.get("Items", []), encode_cursor(last) if last else None)


def encode_cursor(key: Mapping[str, Any]) -> str:
    """An opaque token of a page's last key."""
    text = json.dumps(dict(key), sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token: str, keys: set[str]) -> dict[str, str]:
    """The key a token holds, if it is one of a listing keyed by ``keys``.

    Raises:
        BadCursorError: when it is not.
    """
    try:
        padded = token + "=" * (-len(token) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        raise BadCursorError("not a token this API issued") from error
    if (
        not isinstance(key, dict)
        or set(key) != keys
        or not all(isinstance(v, str) for v in key.values())
    ):
        raise BadCursorError("not a token of this listing (was the status filter changed?)")
    return key
