"""FileProcessorV2 in the chaos run (``gdp chaos``): CSV files uploaded to the input bucket.

Most files are good; some carry rows of the wrong width (kept in the rejects), some are not
CSV at all or empty (quarantined by the trigger). The recovery re-drives the dead-letter
queues with ``gdp reprocess --dead-letters``. The audit reads each file's Parquet rows (each
order id once, every good row there), its rejected rows, its quarantine reason, or its
dead-lettered event.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath
from random import Random
from typing import TYPE_CHECKING, Any

from applications_repo.file_processor.job.layout import (
    REJECTS_PREFIX,
    REJECTS_SUFFIX,
    dataset_name,
    source_id,
)
from shared.application import Definition
from shared.chaos import evidence
from shared.chaos.workload import ChaosInput, ChaosWorkload, Outcome, Verdict, rows_verdict
from shared.quarantine import reason_key
from shared.registry import AppContext

if TYPE_CHECKING:
    from shared.local.stage import LocalStage

PREFIX = "chaos"
ROWS = (3, 40)
RAGGED_EVERY = 12
"""One file in this many has rows with a field missing (rejected rows)."""
NOT_CSV_EVERY = 25
"""One file in this many is not a CSV (quarantined)."""
EMPTY_EVERY = 40
"""One file in this many is empty (quarantined)."""
REDRIVE = ".venv/bin/gdp reprocess --stage dev --dead-letters"


class CsvFiles(ChaosWorkload):
    """CSV uploads of one dataset, ``chaos/``."""

    application = "file-processor"
    kind = "CSV file"
    weight = 40

    def __init__(self, context: AppContext, definition: Definition) -> None:
        self.context = context
        self.definition = definition

    def feed(self, stage: LocalStage, rng: Random, count: int) -> Sequence[ChaosInput]:
        bucket = self.context.naming.input_bucket
        return [self.upload(stage, bucket, *_file(index, rng)) for index in range(count)]

    def recover(self, stage: LocalStage, inputs: Sequence[ChaosInput]) -> Sequence[str]:
        from applications_repo.file_processor.reprocess import Reprocessor  # noqa: PLC0415

        if not evidence.waiting_in(stage.session, self.definition.dead_letter_queues):
            return ()
        [handler], [single_node] = self.definition.handlers, self.definition.function_jobs
        list(Reprocessor(stage.session, handler, single_node).dead_letters())
        return (REDRIVE,)

    def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
        s3 = session.client("s3")
        waiting = evidence.waiting_in(session, self.definition.dead_letter_queues)
        output = self.context.naming.output_bucket
        written: dict[str, list[str]] = {}
        for name in evidence.keys(s3, output):
            file = PurePosixPath(name).name
            sid = file.removesuffix(REJECTS_SUFFIX) if name.startswith(REJECTS_PREFIX) else file
            written.setdefault(sid.split("-part-")[0], []).append(name)
        return [self._verdict(s3, item, written, waiting) for item in inputs]

    def _verdict(
        self, s3: Any, item: ChaosInput, written: dict[str, list[str]], waiting: list[str]
    ) -> Verdict:
        bucket, _, key = item.ref.removeprefix("s3://").partition("/")
        reason = reason_key(key)
        if evidence.exists(s3, bucket, reason):
            text = json.loads(s3.get_object(Bucket=bucket, Key=reason)["Body"].read())["reason"]
            return Verdict(item, Outcome.QUARANTINED, text)
        sid = source_id(item.ref, item.expected["version"])
        data = [n for n in written.get(sid, []) if n.endswith(".parquet")]
        ids = evidence.parquet_values(s3, self.context.naming.output_bucket, data, "order_id")
        rejected = Counter(range(self._rejected_rows(s3, written.get(sid, []), key)))
        verdict = rows_verdict(item, ids, rejected)
        if verdict.outcome is Outcome.LOST and any(key in body for body in waiting):
            return Verdict(item, Outcome.DEAD_LETTERED, "its event waits", redrive=REDRIVE)
        return verdict

    def _rejected_rows(self, s3: Any, names: Sequence[str], key: str) -> int:
        """The rows kept in this source's rejects files (the dataset's, among its ``names``)."""
        prefix = f"{REJECTS_PREFIX}{dataset_name(key)}/"
        output = self.context.naming.output_bucket
        return sum(
            len(s3.get_object(Bucket=output, Key=n)["Body"].read().splitlines())
            for n in names
            if n.startswith(prefix) and n.endswith(REJECTS_SUFFIX)
        )


def _file(index: int, rng: Random) -> tuple[str, bytes, dict[str, Any]]:
    """One upload: its key, its bytes, and what the audit expects of it."""
    if index % NOT_CSV_EVERY == NOT_CSV_EVERY - 1:
        return f"{PREFIX}/notes-{index:05d}.txt", b"not a table\n", {"rows": 0}
    if index % EMPTY_EVERY == EMPTY_EVERY - 2:
        return f"{PREFIX}/empty-{index:05d}.csv", b"", {"rows": 0}
    ids = [f"o{index:05d}-{n:03d}" for n in range(rng.randint(*ROWS))]
    lines = [f"{order},{rng.randint(1, 9)},{rng.randint(100, 99999) / 100:.2f}" for order in ids]
    ragged = 0
    if index % RAGGED_EVERY == 0:
        ragged = rng.randint(1, 2)
        lines += [f"broken-{index}-{n},7" for n in range(ragged)]
        rng.shuffle(lines)
    body = "order_id,quantity,price\n" + "\n".join(lines) + "\n"
    return f"{PREFIX}/orders-{index:05d}.csv", body.encode(), {"rows": len(ids) + ragged}
