"""What ``gdp run`` prints when a run ends: the summary table and where to look next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.config import REPOSITORY_ROOT

if TYPE_CHECKING:
    from shared.local.stage import LocalStage


@dataclass(frozen=True)
class Upload:
    """One object the run uploaded, and what it is called in the summary."""

    label: str
    bucket: str
    key: str
    version_id: str | None


@dataclass(frozen=True)
class SummaryRow:
    """One line of the final table."""

    input: str
    run_id: str
    state: str
    rows_read: int | None
    rows_written: int | None
    rows_rejected: int | None
    output: str
    seconds: float | None
    note: str = ""
    app: str = ""
    failed: bool = False
    """Failed although its state is its application's own word (``QUARANTINED`` is not)."""
    batch: str = ""
    record: Mapping[str, Any] = field(default_factory=dict)
    """The application's own record of the input (``InputState.record``)."""

    def to_json(self) -> dict[str, Any]:
        """The row as ``gdp run --json`` prints it (stable field names, docs/testing.md)."""
        return {
            "app": self.app,
            "input": self.input,
            "run": self.run_id,
            "state": self.state,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_rejected": self.rows_rejected,
            "output": self.output,
            "seconds": self.seconds,
            "note": self.note,
            "batch": self.batch,
            "record": dict(self.record),
        }


COLUMNS = ("input", "run", "state", "read", "written", "rejected", "output", "seconds")


def render_table(rows: Sequence[SummaryRow]) -> str:
    """The summary as an aligned text table."""
    cells = [COLUMNS] + [
        (
            row.input,
            row.run_id,
            row.state,
            _number(row.rows_read),
            _number(row.rows_written),
            _number(row.rows_rejected),
            row.output or "-",
            f"{row.seconds:.1f}" if row.seconds is not None else "-",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    numeric = {3, 4, 5, 7}
    lines = []
    for line in cells:
        lines.append(
            "  ".join(
                value.rjust(widths[i]) if i in numeric else value.ljust(widths[i])
                for i, value in enumerate(line)
            ).rstrip()
        )
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def where_to_look(local: LocalStage, dead_letters: int, snapshot: Path, *, keep: bool) -> str:
    """Endpoint, buckets, logs, the snapshot, and (when the server stays up) commands to
    paste."""
    n = local.naming
    queues = ", ".join(local.dead_letter_queues())
    lines = [
        f"endpoint      {local.aws.endpoint}",
        f"input         s3://{n.input_bucket}/",
        f"output        s3://{n.output_bucket}/ (tables in {n.database})",
        f"dead letters  {dead_letters} in {queues}",
        f"logs          {relative(local.logs_dir)}/",
        f"snapshot      {relative(snapshot)}/ (s3/, dynamodb/, glue/: kept after the local AWS"
        " stops)",
    ]
    if not keep:
        lines.append("(the local AWS stops now; `.venv/bin/gdp run --keep` keeps it up to explore)")
        return "\n".join(lines)
    endpoint = f"aws --endpoint-url {local.aws.endpoint}"
    environment = " ".join(
        f"{k}={v}"
        for k, v in local.aws.environment.items()
        if k.startswith("AWS_") and k != "AWS_ENDPOINT_URL"
    )
    lines += [
        "",
        "The local AWS stays up until Ctrl-C. In another shell:",
        f"  export {environment}",
        f"  {endpoint} s3 ls s3://{n.output_bucket}/ --recursive",
        f"  {endpoint} glue get-tables --database-name {n.database} --query 'TableList[].Name'",
        *(
            f"  {endpoint} glue get-job-runs --job-name {job.name}"
            for definition in local.applications
            for job in definition.jobs
        ),
        f"  {endpoint} s3 cp my.csv s3://{n.input_bucket}/my/my.csv   # processed like the samples",
    ]
    return "\n".join(lines)


def _number(value: int | None) -> str:
    return "-" if value is None else str(value)


def relative(path: Path | None) -> str:
    """A path as shown to the user: relative to the repository when inside it."""
    if path is None:
        return "-"
    try:
        return str(path.relative_to(REPOSITORY_ROOT))
    except ValueError:
        return str(path)
