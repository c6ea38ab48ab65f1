"""The outcome of one FileProcessorV2 run, as printed by ``gdp process`` and kept as the
run's manifest."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.outcomes import JobReport

# The fields of the one-line report of ``gdp process``, in order.
REPORT_FIELDS = (
    "source",
    "dataset",
    "status",
    "rows_read",
    "rows_written",
    "rows_rejected",
    "output",
    "rejects",
    "error",
)


class RunStatus(StrEnum):
    """How a run ended: processed, refused as a whole (with a reason), or broken."""

    SUCCEEDED = "SUCCEEDED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class RunSummary:
    """What one run read, wrote and rejected, and where."""

    source: str
    status: RunStatus
    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    output: str | None = None
    rejects: str | None = None
    error: str | None = None
    quarantine: str | None = None
    dataset: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    engine: str | None = None
    started_at: str = ""
    duration_seconds: float = 0.0

    @classmethod
    def ended(cls, source: str, status: RunStatus, started: datetime, **values: Any) -> RunSummary:
        """A summary of a run that started at ``started`` and ends now."""
        elapsed = (datetime.now(UTC) - started).total_seconds()
        return cls(
            source=source,
            status=status,
            started_at=started.isoformat(),
            duration_seconds=round(elapsed, 3),
            **values,
        )

    def report(self) -> dict[str, Any]:
        """The one-line report's fields."""
        return {name: getattr(self, name) for name in REPORT_FIELDS}

    def to_json(self) -> str:
        """Everything, as one JSON document."""
        return json.dumps(asdict(self), ensure_ascii=False)

    def job_report(self) -> JobReport:
        """What the platform reads of the run."""
        return JobReport(
            status=self.status.value,
            error=self.error,
            rows_read=self.rows_read,
            rows_written=self.rows_written,
            rows_rejected=self.rows_rejected,
            output=self.output,
            rejects=self.rejects,
            quarantine=self.quarantine,
            detail=json.loads(self.to_json()),
        )
