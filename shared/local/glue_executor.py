"""AWS Glue, on this machine: runs the job runs started in the local AWS on local Spark.

A run started with StartJobRun (by a handler, a test, or ``aws glue start-job-run``) is
picked up and executed from the job as deployed: the script at its ``ScriptLocation`` (read
from the local S3, where the bucket deployment put it), with the job's ``DefaultArguments``
merged with the run's own. The script's ``report(argv)`` runs in this process, on the
shared local SparkSession, and returns the run's ``JobReport``. Each job's
``MaxConcurrentRuns`` is honoured: with run queuing, runs beyond it wait and start when a slot
frees. Every run's state, timing and error are recorded in the local AWS (GetJobRun shows
them), its log is written to a file, and its "Glue Job State Change" event is published.
Under a chaos run (``shared.local.faults``) a run fails before its script starts, or times
out mid-way (its script stopped at one of its AWS calls, ``TIMEOUT`` as Glue reports it).
"""

from __future__ import annotations

import importlib.util
import json
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from shared.local import faults
from shared.local.aws import RUNNING, STARTING, WAITING, LocalAws
from shared.local.events import glue_job_state_event
from shared.outcomes import JobReport

POLL_SECONDS = 0.2
SUCCEEDED, FAILED, TIMEOUT = "SUCCEEDED", "FAILED", "TIMEOUT"
CUT_CALLS = (0, 6)
"""A run timed out mid-way stops after between this many of its script's AWS calls."""
RUNNER = "report"
"""What a job's script defines for the platform: ``report(argv) -> JobReport``."""
MAX_PARALLEL_RUNS = 6

Progress = Callable[[str], None]


@dataclass
class RunRecord:
    """One job run as the executor saw it."""

    job_name: str
    run_id: str
    arguments: dict[str, str]
    state: str = WAITING
    started: datetime | None = None
    ended: datetime | None = None
    result: JobReport | None = None
    error: str | None = None
    log_file: Path | None = None
    queued: bool = field(default=False)

    @property
    def duration_seconds(self) -> float | None:
        if self.started and self.ended:
            return (self.ended - self.started).total_seconds()
        return None


class LocalGlueExecutor:
    """Executes the local AWS's job runs for the given jobs, in background threads."""

    def __init__(
        self,
        aws: LocalAws,
        *,
        workdir: Path,
        progress: Progress = lambda line: None,
        publish: Callable[[dict[str, Any]], None] = lambda event: None,
    ) -> None:
        self.aws = aws
        self.publish = publish
        self.workdir = Path(workdir)
        self.logs_dir = self.workdir / "logs"
        self.progress = progress
        self.runs: dict[str, RunRecord] = {}
        self._lock = threading.Lock()
        self._unreported = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL_RUNS)

    def start(self) -> LocalGlueExecutor:
        self._thread = threading.Thread(target=self._loop, name="local-glue", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=False)

    def idle(self) -> bool:
        """No run waits or runs, and every finished run has been reported."""
        with self._lock:
            if self._unreported:
                return False
            waiting = [
                run
                for job in self._existing_jobs()
                for run in job.job_runs
                if run.status in (STARTING, WAITING, RUNNING)
            ]
        return not waiting

    def _existing_jobs(self) -> list[Any]:
        return self.aws.glue_jobs()

    def _limit(self, job_name: str) -> int:
        job = self.aws.glue_job(job_name)
        return int(job.execution_property.get("MaxConcurrentRuns", 1)) if job else 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.schedule()
            self._stop.wait(POLL_SECONDS)

    def schedule(self) -> None:
        """Start every waiting run that fits under its job's concurrency limit."""
        for job in self._existing_jobs():
            name = job.name
            with self._lock:
                running = sum(1 for run in job.job_runs if run.status == RUNNING)
                pending = [run for run in job.job_runs if run.status in (STARTING, WAITING)]
                for run in pending:
                    if run.job_run_id not in self.runs and run.status == WAITING:
                        self.progress(f"{name} {run.job_run_id[:11]} waits in the queue")
                        self.runs[run.job_run_id] = RunRecord(
                            name, run.job_run_id, dict(run.arguments or {}), queued=True
                        )
                free = max(0, self._limit(name) - running)
                for run in sorted(pending, key=lambda r: r.started_on)[:free]:
                    run.status = RUNNING
                    record = self.runs.setdefault(
                        run.job_run_id, RunRecord(name, run.job_run_id, dict(run.arguments or {}))
                    )
                    record.state, record.started = RUNNING, datetime.now(UTC)
                    self._pool.submit(self._execute, run, record)

    def _execute(self, run: Any, record: RunRecord) -> None:
        name = record.job_name
        record.log_file = self.logs_dir / name / f"{record.run_id}.log"
        record.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.progress(f"{name} {record.run_id[:11]} running")
        key = faults.stable_key(name, record.arguments)
        timed_out = False
        try:
            if faults.decide(faults.Fault.GLUE_FAILED, key):
                raise RuntimeError("the run's driver was lost (an injected fault)")
            job = self.aws.client("glue").get_job(JobName=name)["Job"]
            arguments = {**job.get("DefaultArguments", {}), **record.arguments}
            argv = [job["Command"]["ScriptLocation"], "--JOB_NAME", name]
            argv += ["--JOB_RUN_ID", record.run_id]
            for argument, value in arguments.items():
                argv += [argument, value]
            script = self._script(name, job["Command"]["ScriptLocation"])
            if faults.decide(faults.Fault.GLUE_TIMEOUT, key):
                timed_out = True
                with faults.cut_after(faults.draw(faults.Fault.GLUE_TIMEOUT, key, *CUT_CALLS)):
                    getattr(script, RUNNER)(argv)
            else:
                record.result = _job_report(getattr(script, RUNNER)(argv), str(script.__file__))
            failure = _reported_failure(record.result) if record.result else None
        except faults.InvocationCut as cut:
            failure = None
            record.log_file.write_text(f"{cut}\n", encoding="utf-8")
        except Exception as error:  # the run fails, as a Glue job whose script raises
            failure = f"{type(error).__name__}: {error}".splitlines()[0]
            record.log_file.write_text(traceback.format_exc(), encoding="utf-8")
        else:
            record.log_file.write_text(_as_json(record.result) + "\n", encoding="utf-8")
        if timed_out:
            failure = "Job run timed out (an injected fault stopped it mid-way)"
        record.ended = datetime.now(UTC)
        record.state = TIMEOUT if timed_out else FAILED if failure else SUCCEEDED
        record.error = failure
        run.error_message = failure
        run.execution_seconds = round(record.duration_seconds or 0)
        run.completed_on = record.ended
        run.modified_on = record.ended
        with self._lock:
            run.status = record.state
            self._unreported += 1
        self.progress(
            f"{name} {record.run_id[:11]} {record.state} in {record.duration_seconds:.1f}s"
            f"{describe_outcome(record.result, failure)}"
        )
        try:
            self.publish(
                glue_job_state_event(
                    job_name=name,
                    run_id=record.run_id,
                    state=record.state,
                    message=failure,
                    account=self.aws.naming.account,
                    region=self.aws.naming.region,
                )
            )
        finally:
            with self._lock:
                self._unreported -= 1

    def _script(self, job_name: str, location: str) -> ModuleType:
        """The job's script, downloaded from the local S3 and loaded as a module of its own
        (its ``__main__`` block does not run)."""
        bucket, _, key = location.removeprefix("s3://").partition("/")
        path = self.workdir / "scripts" / job_name / PurePosixPath(key).name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.aws.client("s3").download_file(bucket, key, str(path))
        spec = importlib.util.spec_from_file_location(
            f"gdp_local_glue_{job_name.replace('-', '_')}", path
        )
        if spec is None or spec.loader is None:
            raise FileNotFoundError(f"{job_name}: no script at {location}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not hasattr(module, RUNNER):
            raise AttributeError(f"{location} defines no {RUNNER}(argv) for the platform")
        return module


def describe_outcome(result: JobReport | None, failure: str | None) -> str:
    """What to add to a finished run's progress line: the failure, or what a job that ended
    normally reported about its input when that was not plain success (a rejected input)."""
    if failure:
        return f": {failure}"
    if result is None or result.status == SUCCEEDED:
        return ""
    return f", the job reported {result.status}" + (f": {result.error}" if result.error else "")


def _job_report(result: object, runner: str) -> JobReport:
    """The runner's report; anything else breaks the contract (``shared.outcomes``)."""
    if not isinstance(result, JobReport):
        raise TypeError(f"{runner} returned {type(result).__name__}, not a JobReport")
    return result


def _reported_failure(result: JobReport) -> str | None:
    """A report that says it failed fails the run."""
    if result.failed:
        return result.error or "the job reported FAILED"
    return None


def _as_json(result: JobReport | None) -> str:
    return json.dumps(result.to_dict() if result else None, default=str)


def warm_up_spark() -> threading.Thread:
    """Start local Spark (about six seconds to its first result) in the background, while
    the stage is synthesized and deployed, so that the first run does not wait for it."""

    def start() -> None:
        from shared.glue.session import get_spark  # noqa: PLC0415 (Spark loads only here)

        get_spark("local-stage").range(1).count()

    thread = threading.Thread(target=start, name="spark-warm-up", daemon=True)
    thread.start()
    return thread
