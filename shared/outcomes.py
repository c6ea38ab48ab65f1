"""The typed seams between the platform and an application's code: what an object-created
handler returns, and what a job's script reports. The local runtime, its summary and the tests
read these fields and no others. Standard library only: functions and jobs ship this module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SUCCEEDED = "SUCCEEDED"
REJECTED = "REJECTED"
FAILED = "FAILED"
STARTED = "STARTED"


@dataclass(frozen=True)
class HandlerOutcome:
    """What an object-created handler did with one event.

    Attributes:
        status: ``STARTED`` (a run was started), ``REJECTED`` (the object was refused), or
            the application's own word (``WAITING``: accepted, its run starts later).
        object: the object's ``s3://`` URI.
        job_run_id: the run it started.
        reason: why it refused the object.
        quarantine: where the refused object and its reason are kept.
        duplicate: the event was seen before; this is the first delivery's outcome.
    """

    status: str
    object: str = ""
    job_run_id: str | None = None
    reason: str = ""
    quarantine: str | None = None
    duplicate: bool = False

    def to_event(self) -> dict[str, Any]:
        """The JSON a Lambda function returns (empty fields left out)."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "", False)}

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> HandlerOutcome:
        """Read what a handler returned; fields the contract does not name are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class JobReport:
    """What a job's run reports about its input (its script's ``report(argv)`` returns one).

    Attributes:
        status: ``SUCCEEDED``, ``REJECTED`` (the input was refused, with ``error`` saying why)
            or ``FAILED`` (the run fails).
        error: the reason of a rejection or failure, in one line.
        rows_read, rows_written, rows_rejected: the row counts, where the job counts rows.
        output: where the output is.
        rejects: where rejected rows are kept with their reasons.
        quarantine: where a rejected input is kept with its reason.
        detail: the job's own summary, for its log.
    """

    status: str = SUCCEEDED
    error: str | None = None
    rows_read: int | None = None
    rows_written: int | None = None
    rows_rejected: int | None = None
    output: str | None = None
    rejects: str | None = None
    quarantine: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobReport:
        """Read a report as ``to_dict`` wrote it; fields it does not name are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
