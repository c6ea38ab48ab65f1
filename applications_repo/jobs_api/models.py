"""What the API takes and answers (pydantic models: the OpenAPI document's schemas), and
its errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from applications_repo.jobs_api.jobs import JobStatus
from applications_repo.parquet_to_json.metadata import plain

PROBLEM = "application/problem+json"
PARQUET_TYPE = "application/vnd.apache.parquet"
FILENAME = r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class UploadRequest(Model):
    """A file the caller is about to upload."""

    filename: Annotated[
        str,
        Field(
            pattern=FILENAME,
            description="The file's name: letters, digits, '.', '_', '-' and spaces, at most "
            "200 characters.",
            examples=["yellow_tripdata_2024-01.parquet"],
        ),
    ]
    size_bytes: Annotated[
        int, Field(alias="sizeBytes", ge=1, description="The file's size in bytes.")
    ]


class PresignedPost(Model):
    """Where and how to POST the file: a multipart form of ``fields`` then ``file``."""

    url: str
    fields: dict[str, str]


class UploadTicket(Model):
    """The job created for an upload, and the pre-signed POST that uploads its file."""

    job_id: str = Field(alias="jobId")
    status: JobStatus
    upload: PresignedPost
    expires_in_seconds: int = Field(alias="expiresInSeconds")
    max_bytes: int = Field(alias="maxBytes")


class TriggerRequest(Model):
    """The job to convert."""

    job_id: Annotated[str, Field(alias="jobId", min_length=1, max_length=64)]


class HistoryEntry(Model):
    status: str
    at: str
    by: str
    error: str | None = None


class Job(Model):
    """One job: its file, its status and what the conversion made of it."""

    job_id: str = Field(alias="jobId")
    status: JobStatus
    filename: str
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")
    size_bytes: int | None = Field(default=None, alias="sizeBytes")
    engine: str | None = None
    records: int | None = Field(default=None, description="Rows written to the JSON.")
    rejected_rows: int | None = Field(default=None, alias="rejectedRows")
    error: str | None = Field(default=None, description="Why the job failed or was rejected.")
    waiting: str | None = Field(default=None, description="Why a PENDING job waits.")
    history: list[HistoryEntry] = []

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Job:
        record = plain(dict(item))
        return cls(
            jobId=record["file_id"],
            status=JobStatus(record["processing_status"]),
            filename=record.get("filename", ""),
            createdAt=record["created_at"],
            updatedAt=record.get("updated_at", record["created_at"]),
            sizeBytes=record.get("file_size_bytes"),
            engine=record.get("engine"),
            records=record.get("record_count"),
            rejectedRows=record.get("rejected_count"),
            error=record.get("error_message"),
            waiting=record.get("waiting_reason"),
            history=[HistoryEntry(**entry) for entry in record.get("history", [])],
        )


class JobPage(Model):
    """A page of jobs, newest first; ``next`` fetches the following page."""

    jobs: list[Job]
    next: str | None = Field(
        default=None, description="An opaque token: pass it as ``next`` for the next page."
    )


class Download(Model):
    """A short-lived pre-signed GET of the job's JSON Lines."""

    url: str
    expires_in_seconds: int = Field(alias="expiresInSeconds")
    filename: str


class Problem(Model):
    """An error (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


def problem_body(
    status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> str:
    """A problem document, as the body of an error response."""
    document = Problem(title=title, status=status, detail=detail, errors=errors)
    return json.dumps(document.model_dump(exclude_none=True))


ERRORS = {
    400: "The page token or the page size is not one this API takes",
    404: "No such job",
    409: "The job is not in a state for that",
    413: "The file is larger than the uploads allowed",
    415: "The body is not application/json",
    422: "The request is not valid: the fields that are wrong, and why",
}
"""What each error status of the API means (its body is a problem document)."""


def responses(status: int, description: str, model: Any, *errors: int) -> dict[int, Any]:
    """The OpenAPI responses of a route: its success, then its errors and 422."""
    problem = {"content": {PROBLEM: {"model": Problem}}}
    return {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        **{code: {"description": ERRORS[code], **problem} for code in (*errors, 422)},
    }
