"""parquet-to-json in the chaos run (``gdp chaos``): Parquet files uploaded to the source
bucket.

Most files are small taxi months (some with rows breaking the quality rules, kept as rejected
rows); some are not Parquet at all (rejected and quarantined by the orchestrator). The
recovery re-drives the dead-letter queues (``gdp redrive``) and retries what is FAILED
(``gdp p2j retry``). The audit reads each upload's metadata item and its JSON output: every
row once, as JSON or as a rejected row.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from random import Random
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from applications_repo.parquet_to_json.metadata import MetadataTable, Status, file_id, plain
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.taxi_data import Shape, trips
from shared.application import Definition
from shared.aws_session import invoke_function
from shared.chaos import evidence
from shared.chaos.workload import ChaosInput, ChaosWorkload, Outcome, Verdict, rows_verdict
from shared.registry import AppContext

if TYPE_CHECKING:
    from shared.local.stage import LocalStage

ROWS = (5, 60)
VIOLATIONS_EVERY = 7
"""One file in this many has rows breaking the quality rules (rejected rows)."""
NOT_PARQUET_EVERY = 20
"""One file in this many is a CSV named ``.parquet`` (rejected, quarantined)."""
ROW_ID = "tpep_pickup_datetime"
"""What tells one trip from another in the output (microseconds of a random minute)."""
REDRIVE = ".venv/bin/gdp redrive --stage dev"
RETRY = ".venv/bin/gdp p2j retry --stage dev"


class ParquetFiles(ChaosWorkload):
    """Parquet uploads under ``raw-data/YYYY/MM/DD/``."""

    application = "parquet-to-json"
    kind = "Parquet file"
    weight = 25

    def __init__(self, context: AppContext, definition: Definition) -> None:
        self.context = context
        self.names = ParquetToJsonNames(context.naming)
        self.dead_letter_queues = definition.dead_letter_queues

    def feed(self, stage: LocalStage, rng: Random, count: int) -> Sequence[ChaosInput]:
        return [
            self.upload(
                stage,
                self.names.source_bucket,
                f"raw-data/2025/06/{index % 28 + 1:02d}/chaos-{index:05d}.parquet",
                *_file(index, rng),
            )
            for index in range(count)
        ]

    def recover(self, stage: LocalStage, inputs: Sequence[ChaosInput]) -> Sequence[str]:
        commands = evidence.redrive_waiting(stage.session, self.dead_letter_queues, REDRIVE)
        failed = self._items(stage, Status.FAILED)
        if failed:
            event = {"action": "retry", "file_ids": [item["file_id"] for item in failed]}
            invoke_function(stage.naming, self.names.sweeper, event, "gdp-p2j")
            commands.append(f"{RETRY} <the {len(failed)} FAILED file ids>")
        return commands

    def _items(self, stage: LocalStage, status: Status) -> list[dict[str, Any]]:
        event = {"action": "status", "status": status.value, "limit": 1000}
        return invoke_function(stage.naming, self.names.sweeper, event, "gdp-p2j")["items"]

    def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
        table = MetadataTable(session.resource("dynamodb").Table(self.names.metadata_table))
        waiting = evidence.waiting_in(session, self.dead_letter_queues)
        return [self._verdict(session.client("s3"), table, item, waiting) for item in inputs]

    def _verdict(
        self, s3: Any, table: MetadataTable, item: ChaosInput, waiting: list[str]
    ) -> Verdict:
        key = item.ref.split("/", 3)[3]
        found = table.get(file_id(key, item.expected["version"]))
        if found is None:
            if any(key in body for body in waiting):
                return Verdict(item, Outcome.DEAD_LETTERED, "its event waits", redrive=REDRIVE)
            return Verdict(item, Outcome.LOST, "no metadata item, no dead letter")
        record = plain(found)
        status = record["processing_status"]
        if status == Status.REJECTED:
            outcome = Outcome.QUARANTINED if record.get("quarantine") else Outcome.REJECTED
            return Verdict(item, outcome, record.get("error_message", ""))
        if status != Status.SUCCEEDED:
            reason = record.get("error_message") or record.get("waiting_reason") or ""
            return Verdict(item, Outcome.LOST, f"{status} after recovery: {reason}")
        written = self._values(s3, record["output_file_path"])
        return rows_verdict(item, written, self._values(s3, record.get("rejects_written")))

    def _values(self, s3: Any, uri: str | None) -> Counter[Any]:
        if not uri:
            return Counter()
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        if not evidence.exists(s3, bucket, key):
            return Counter()
        return evidence.json_lines_values(s3, bucket, [key], ROW_ID)


def _file(index: int, rng: Random) -> tuple[bytes, dict[str, Any]]:
    """One upload's bytes, and what the audit expects of it."""
    if index % NOT_PARQUET_EVERY == NOT_PARQUET_EVERY - 1:
        return b"VendorID,fare_amount\n1,12.5\n", {"rows": 0}
    rows = rng.randint(*ROWS)
    shape = Shape(rows=rows, seed=index, violations=index % VIOLATIONS_EVERY == 0 and rows > 5)
    sink = io.BytesIO()
    pq.write_table(trips(shape), sink, compression="snappy")
    return sink.getvalue(), {"rows": rows}
