"""ndjson-batching in the chaos run (``gdp chaos``): NDJSON files uploaded to the input bucket,
batched into manifests and merged into Parquet by the Glue job.

Most files are click-stream events above the minimum size (some with a line cut short, kept in
the batch's rejects); some are below the minimum (quarantined). The recovery re-drives the
dead-letter queues (``gdp redrive``), takes back expired leases (``gdp ndjson release``) and
re-runs the batches of failed and stuck files (``gdp ndjson retry``). The audit reads each
file's tracking item, every event id of the merged table (each once) and the rejected lines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Any

from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.tracking import (
    IN_FLIGHT,
    FileStatus,
    TrackingTable,
    date_prefix,
    file_name,
)
from shared.application import Definition
from shared.aws_session import invoke_function
from shared.chaos import evidence
from shared.chaos.workload import ChaosInput, ChaosWorkload, Outcome, Verdict, rows_verdict
from shared.registry import AppContext

if TYPE_CHECKING:
    from shared.local.stage import LocalStage

LINES = (640, 720)
"""Events per file: about 110 KB, above dev's 0.1 MB minimum."""
CUT_EVERY = 8
"""One file in this many has a line cut short (a rejected line)."""
SMALL_EVERY = 30
"""One file in this many is below the minimum size (quarantined)."""
OUTPUT_PREFIX = "merged-parquet-"
REJECTS_PREFIX = "rejects/"
EVENT_TYPES = ("click", "page_view", "add_to_cart", "purchase")
GDP = ".venv/bin/gdp"


class NdjsonFiles(ChaosWorkload):
    """NDJSON uploads under ``chaos/``."""

    application = "ndjson-batching"
    kind = "NDJSON file"
    weight = 25

    def __init__(self, context: AppContext, definition: Definition) -> None:
        self.context = context
        self.names = NdjsonNames(context.naming)
        self.dead_letter_queues = definition.dead_letter_queues

    def feed(self, stage: LocalStage, rng: Random, count: int) -> Sequence[ChaosInput]:
        return [
            self.upload(
                stage,
                self.names.input_bucket,
                f"chaos/events-{index:05d}.ndjson",
                *_file(index, rng),
            )
            for index in range(count)
        ]

    def recover(self, stage: LocalStage, inputs: Sequence[ChaosInput]) -> Sequence[str]:
        redrive = f"{GDP} redrive --stage dev"
        commands = evidence.redrive_waiting(stage.session, self.dead_letter_queues, redrive)
        counts = self._state({"action": "status"}, stage)["counts"]
        unfinished = sum(counts[s.value] for s in (*IN_FLIGHT, FileStatus.FAILED))
        if not unfinished:
            return commands
        self._state({"action": "release"}, stage)
        answer = self._state({"action": "retry", "stuck_after_minutes": 0}, stage)
        commands.append(f"{GDP} ndjson release --stage dev")
        if answer["restarted"] or answer["refused"]:
            commands.append(f"{GDP} ndjson retry --stage dev --stuck-after-minutes 0")
        return commands

    def _state(self, event: dict[str, Any], stage: LocalStage) -> Any:
        return invoke_function(stage.naming, self.names.state_manager, event, "gdp-ndjson")

    def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
        s3 = session.client("s3")
        output = self.names.output_bucket
        names = [k for k in evidence.keys(s3, output) if k.endswith(".parquet")]
        events = evidence.parquet_values(s3, output, names, "event_id")
        rejected: Counter[str] = Counter()
        for name in evidence.keys(s3, output, REJECTS_PREFIX):
            text = s3.get_object(Bucket=output, Key=name)["Body"].read().decode()
            rejected.update(json.loads(line)["source"] for line in text.splitlines() if line)
        held = _Held(
            TrackingTable(session.resource("dynamodb").Table(self.names.tracking_table)),
            events,
            rejected,
            evidence.waiting_in(session, self.dead_letter_queues),
        )
        return [self._verdict(s3, held, item) for item in inputs]

    def _verdict(self, s3: Any, held: _Held, item: ChaosInput) -> Verdict:
        bucket, _, key = item.ref.removeprefix("s3://").partition("/")
        version = item.expected["version"]
        head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
        found = held.tracking.get(
            {"date_prefix": date_prefix(head["LastModified"]), "file_name": file_name(key, version)}
        )
        if found is None:
            if any(key in body for body in held.waiting):
                return Verdict(item, Outcome.DEAD_LETTERED, "its event waits", redrive=GDP)
            return Verdict(item, Outcome.LOST, "no tracking item, no dead letter")
        status = FileStatus(found["status"])
        if status == FileStatus.QUARANTINED:
            return Verdict(item, Outcome.QUARANTINED, str(found.get("reason", "")))
        written = Counter({i: held.events[i] for i in item.expected["ids"] if held.events[i]})
        cut = Counter(dict.fromkeys(range(held.rejected[item.ref]), 1))
        verdict = rows_verdict(item, written, cut)
        if verdict.outcome == Outcome.PROCESSED and status != FileStatus.COMPLETED:
            return Verdict(item, Outcome.LOST, f"{status} after recovery, its events merged")
        return verdict


@dataclass(frozen=True)
class _Held:
    """What the stage holds, read once for every file's verdict."""

    tracking: TrackingTable
    events: Counter[Any]
    """How many times each event id is in the merged table."""
    rejected: Counter[str]
    """How many rejected lines each file (its URI) has."""
    waiting: list[str]
    """The bodies of the dead letters."""


def _file(index: int, rng: Random) -> tuple[bytes, dict[str, Any]]:
    """One upload's bytes, and what the audit expects of it."""
    if index % SMALL_EVERY == SMALL_EVERY - 1:
        line = json.dumps({"event_id": f"small-{index}", "event_type": "click"})
        return (line + "\n").encode(), {"ids": [], "rows": 0}
    ids = [f"x{index:05d}-{n:05d}" for n in range(rng.randint(*LINES))]
    lines = [
        json.dumps(
            {
                "event_id": event,
                "user_id": rng.randint(1, 5000),
                "event_type": rng.choice(EVENT_TYPES),
                "occurred_at": f"2026-12-01T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
                "page": f"/product/{rng.randint(1, 400)}",
                "device": {"os": rng.choice(("ios", "android", "linux")), "browser": "firefox"},
            },
            separators=(",", ":"),
        )
        for event in ids
    ]
    if index % CUT_EVERY == 0:
        lines.insert(rng.randrange(len(lines)), '{"event_id":"cut-short","user_id":1')
    return ("\n".join(lines) + "\n").encode(), {"ids": ids, "rows": len(lines)}
