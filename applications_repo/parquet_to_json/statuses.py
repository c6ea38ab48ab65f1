"""The statuses a source file moves through in the metadata table (metadata.py holds the
moves). Apart from it, so that what only names a status does not load boto3."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
