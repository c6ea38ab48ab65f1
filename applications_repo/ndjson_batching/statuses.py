"""The statuses an input file moves through in the tracking table (tracking.py holds the
moves). Apart from it, so that what only names a status does not load boto3."""

from __future__ import annotations

from enum import StrEnum


class FileStatus(StrEnum):
    PENDING = "pending"
    MANIFESTED = "manifested"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    QUARANTINED = "quarantined"
