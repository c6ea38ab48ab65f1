"""Job runs that ran as Lambda functions (``shared.application.FunctionJob``), kept as the
local runtime's invocations finish, in the shape of the Glue executor's runs: the summary
of ``gdp run`` and the tests read both alike."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from shared.function_job import ARGUMENTS, RUN_ID
from shared.local.functions import FAILED, SUCCEEDED, Invocation
from shared.local.glue_executor import RunRecord
from shared.outcomes import JobReport


class FunctionRuns:
    """The function jobs' runs of the local stage, by run id (the last attempt's outcome)."""

    def __init__(self, logs_dir: Path, progress: Callable[[str], None] = lambda line: None):
        self.runs: dict[str, RunRecord] = {}
        self.logs_dir = logs_dir
        self.progress = progress
        self._lock = threading.Lock()

    def record(self, invocation: Invocation) -> None:
        """Keep an invocation whose event is a run (``{"JobRunId": ..., "Arguments": ...}``)."""
        event = invocation.event
        if not isinstance(event, Mapping) or not isinstance(event.get(RUN_ID), str):
            return
        result = invocation.result if isinstance(invocation.result, Mapping) else {}
        record = RunRecord(
            job_name=invocation.function,
            run_id=event[RUN_ID],
            arguments=dict(event.get(ARGUMENTS, {})),
            state=SUCCEEDED if invocation.status == SUCCEEDED else FAILED,
            started=invocation.started,
            ended=invocation.ended,
            result=JobReport.from_dict(result) if result else None,
            error=invocation.error,
            log_file=self.logs_dir / f"{invocation.function}.log",
        )
        with self._lock:
            self.runs[record.run_id] = record
        shown = record.result.status if record.result else record.state
        self.progress(f"{record.job_name} {record.run_id[:11]} {shown.lower()}")
