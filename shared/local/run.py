"""``gdp run``: one stage of the platform, end to end, on this machine.

moto on 127.0.0.1 is the AWS API; the stage is provisioned from the config; sample files (or
the user's) are uploaded through boto3 as a user would; the real handlers of the registered
applications receive each "Object Created" event; the real Glue job entry points run on local
Spark; a summary shows what happened to every input.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from shared.application import Definition
from shared.config import REPOSITORY_ROOT, PlatformConfig, StageName
from shared.errors import PlatformError
from shared.local.aws import LocalAws
from shared.local.event_bus import LocalEventBus
from shared.local.glue_executor import FAILED, LocalGlueExecutor, RunRecord
from shared.local.provision import alerts_inbox, provision_stage
from shared.local.report import SummaryRow, Upload, relative, render_table, where_to_look
from shared.monitoring.definition import stage_definitions
from shared.naming import StageNaming
from shared.outcomes import REJECTED, JobReport

WORK_ROOT = REPOSITORY_ROOT / ".local-run"
IGNORED_SAMPLE_SUFFIXES = (".md",)
WAIT_TIMEOUT_SECONDS = 600.0
WAIT_POLL_SECONDS = 0.2

Output = Callable[[str], None]


class LocalRunTimeout(PlatformError):  # noqa: N818 (reads as what happened)
    """The inputs were not all processed in time."""


class LocalStage:
    """A provisioned stage in a local AWS, with its event delivery and Glue executor running.

    Used by ``gdp run`` and by the integration tests; ``upload`` and ``wait`` drive it.
    """

    def __init__(
        self,
        config: PlatformConfig,
        stage: StageName,
        *,
        workdir: Path,
        progress: Output = lambda line: None,
        retry_delays: Sequence[float] | None = None,
    ) -> None:
        self.naming = StageNaming.of(config, stage)
        self.settings = config.stages.get(stage)
        self.applications: list[Definition] = stage_definitions(config, stage)
        self.workdir = Path(workdir)
        self.logs_dir = self.workdir / "logs"
        self.progress = progress
        self.retry_delays = retry_delays
        self.aws = LocalAws(self.naming)
        self.bus: LocalEventBus | None = None
        self.executor: LocalGlueExecutor | None = None

    def __enter__(self) -> LocalStage:
        self.aws.start()
        try:
            provision_stage(self.aws, self.naming, self.settings, self.applications)
            self.stage_sample_data()
            handlers = [h for app in self.applications for h in app.handlers]
            monitors = [h for app in self.applications for h in app.job_state_handlers]
            extra = {"retry_delays": self.retry_delays} if self.retry_delays is not None else {}
            self.bus = LocalEventBus(
                self.aws.session,
                handlers,
                job_state_handlers=monitors,
                account=self.naming.account,
                region=self.naming.region,
                logs_dir=self.logs_dir,
                progress=self.progress,
                **extra,
            ).start()
            self.executor = LocalGlueExecutor(
                self.aws,
                [job for app in self.applications for job in app.jobs],
                logs_dir=self.logs_dir,
                progress=self.progress,
                on_finished=self.bus.job_finished,
            ).start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        # The executor first: a run that finishes reports to the bus's job-state handlers.
        for part in (self.executor, self.bus):
            if part is not None:
                part.stop()
        self.aws.stop()

    @property
    def session(self):
        return self.aws.session

    def upload(self, path: Path, key: str, bucket: str | None = None) -> Upload:
        """Put one file into the input bucket (or ``bucket``), as a user would."""
        bucket = bucket or self.naming.input_bucket
        with path.open("rb") as body:
            put = self.session.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        self.progress(f"uploaded s3://{bucket}/{key} ({path.stat().st_size} bytes)")
        return Upload(key, bucket, key, put.get("VersionId"))

    def stage_sample_data(self) -> None:
        """Put each application's sample data where its job reads by default (in AWS, a
        public data set; here, the same bucket and prefix in the local AWS)."""
        s3 = self.session.client("s3")
        existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        for application in self.applications:
            for sample in application.sample_runs:
                bucket, _, prefix = sample.location.removeprefix("s3://").partition("/")
                if bucket not in existing:
                    s3.create_bucket(Bucket=bucket)
                    existing.add(bucket)
                for path in sorted(sample.data.iterdir()):
                    if path.is_file() and path.suffix not in IGNORED_SAMPLE_SUFFIXES:
                        self.upload(path, f"{prefix}{path.name}", bucket=bucket)

    def selected(self, apps: Sequence[str] = ()) -> list[Definition]:
        """The definitions of the named applications (every one when none is named).

        Raises:
            PlatformError: naming an application that is not registered.
        """
        known = [d.name for d in self.applications]
        unknown = [a for a in apps if a not in known]
        if unknown:
            raise PlatformError(
                f"--app {', '.join(unknown)}: not a registered application "
                f"(registered: {', '.join(known)})"
            )
        return [d for d in self.applications if not apps or d.name in apps]

    def input_bucket(self, app: str) -> str:
        """Where an application takes its files (its first handler's bucket).

        Raises:
            PlatformError: when it takes no files.
        """
        [definition] = self.selected([app])
        if not definition.handlers:
            raise PlatformError(f"--app {app}: takes no files (it has no object handler)")
        return definition.handlers[0].bucket

    def start_sample_runs(self, apps: Sequence[str] = ()) -> list[tuple[str, str]]:
        """Start the runs of each (named) application's sample data; (label, run id) per run."""
        started = []
        glue = self.session.client("glue")
        for application in self.selected(apps):
            for sample in application.sample_runs:
                run = glue.start_job_run(JobName=sample.job_name)
                self.progress(
                    f"started {sample.job_name} {run['JobRunId'][:11]} on {sample.location}"
                )
                started.append((f"{sample.job_name} sample", run["JobRunId"]))
        return started

    def wait(self, uploads: Sequence[Upload], timeout: float = WAIT_TIMEOUT_SECONDS) -> None:
        """Until every upload is delivered and no run waits or runs."""
        assert self.bus is not None and self.executor is not None
        watched = {h.bucket for app in self.applications for h in app.handlers}
        expected = {(u.bucket, u.key, u.version_id) for u in uploads if u.bucket in watched}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delivered = expected <= set(self.bus.deliveries)
            if delivered and self.bus.idle() and self.executor.idle():
                return
            time.sleep(WAIT_POLL_SECONDS)
        raise LocalRunTimeout(f"inputs not all processed after {timeout:.0f}s")

    def summary(
        self, uploads: Sequence[Upload], runs: Sequence[tuple[str, str]]
    ) -> list[SummaryRow]:
        """The final table: each upload and each sample run."""
        assert self.bus is not None and self.executor is not None
        rows = []
        for upload in uploads:
            delivery = self.bus.deliveries.get((upload.bucket, upload.key, upload.version_id))
            if delivery is None:
                rows.append(
                    SummaryRow(upload.label, "-", "NOT DELIVERED", None, None, None, "", None)
                )
            elif delivery.job_run_id:
                rows.append(self._run_row(upload.label, self.executor.runs[delivery.job_run_id]))
            else:
                rows.append(
                    SummaryRow(
                        upload.label,
                        "-",
                        delivery.outcome,
                        None,
                        None,
                        None,
                        "",
                        None,
                        note=f"{delivery.outcome.lower()} by {delivery.function_name}: "
                        f"{delivery.detail}"
                        + (
                            f"; reason kept in {delivery.quarantine}" if delivery.quarantine else ""
                        ),
                    )
                )
        by_bucket = {h.bucket: d.name for d in self.applications for h in d.handlers}
        by_job = {j.name: d.name for d in self.applications for j in d.jobs}
        rows = [
            replace(row, app=by_bucket.get(upload.bucket, ""))
            for row, upload in zip(rows, uploads, strict=True)
        ]
        rows += [
            replace(
                self._run_row(label, self.executor.runs[run_id]),
                app=by_job.get(self.executor.runs[run_id].job_name, ""),
            )
            for label, run_id in runs
        ]
        return rows

    def _run_row(self, label: str, record: RunRecord) -> SummaryRow:
        report = record.result or JobReport()
        state = record.state
        note = ""
        if record.state == FAILED:
            note = f"{record.error} (log: {relative(record.log_file)})"
        elif report.status == REJECTED:
            state, note = REJECTED, f"rejected by the job: {report.error}"
            if report.quarantine:
                note += f"; reason kept in {report.quarantine}"
        elif report.rejects:
            note = f"rejected rows: {report.rejects}"
        output = (report.output or "").removeprefix(f"s3://{self.naming.output_bucket}/")
        return SummaryRow(
            label,
            record.run_id[:11],
            state,
            report.rows_read,
            report.rows_written,
            report.rows_rejected,
            output,
            record.duration_seconds,
            note,
        )

    def alerts(self) -> list[str]:
        """Subjects of the alerts sent so far (read from the local inbox of each topic)."""
        sqs = self.session.client("sqs")
        subjects = []
        for monitor in (m for app in self.applications for m in app.job_state_handlers):
            url = sqs.get_queue_url(QueueName=alerts_inbox(monitor.alerts_topic))["QueueUrl"]
            while True:
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                    "Messages", []
                )
                if not messages:
                    break
                for message in messages:
                    subjects.append(json.loads(message["Body"]).get("Subject", ""))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return subjects

    def dead_letter_queues(self) -> list[str]:
        """The dead-letter queues of the stage's functions."""
        return [h.dead_letter_queue for app in self.applications for h in app.handlers] + [
            m.dead_letter_queue for app in self.applications for m in app.job_state_handlers
        ]

    def dead_letters(self) -> int:
        """Messages waiting in the stage's dead-letter queues."""
        sqs = self.session.client("sqs")
        total = 0
        for queue in self.dead_letter_queues():
            url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            total += int(attributes["ApproximateNumberOfMessages"])
        return total


def sample_files(applications: Sequence[Definition]) -> list[tuple[Path, str]]:
    """Each application's sample files, keyed by their path under its samples folder."""
    files = []
    for application in applications:
        if application.samples is None:
            continue
        for path in sorted(application.samples.rglob("*")):
            if path.is_file() and path.suffix not in IGNORED_SAMPLE_SUFFIXES:
                files.append((path, path.relative_to(application.samples).as_posix()))
    return files


def run_locally(
    config: PlatformConfig,
    stage: StageName,
    files: Sequence[Path],
    *,
    apps: Sequence[str] = (),
    as_json: bool = False,
    keep: bool = False,
    out: Output | None = None,
) -> int:
    """``gdp run``: returns 0 when every run succeeded and nothing was dead-lettered.

    Output goes to the standard output of the moment the run starts, so that function
    invocations, which send their own stdout to their log file, cannot swallow it.
    """
    stream = sys.stdout
    if out is None:
        # with --json the objects are the standard output and progress goes to stderr
        lines = sys.stderr if as_json else stream

        def out(line: str) -> None:
            print(line, file=lines, flush=True)

    started = time.monotonic()
    lock = threading.Lock()

    def progress(line: str) -> None:
        with lock:
            out(f"{time.monotonic() - started:6.1f}s  {line}")

    workdir = WORK_ROOT / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    with LocalStage(config, stage, workdir=workdir, progress=progress) as local:
        naming = local.naming
        progress(
            f"moto at {local.aws.endpoint} is account {naming.account} ({naming.region}); "
            f"stage {stage} provisioned"
        )
        selected = local.selected(apps)
        if files:
            bucket = local.input_bucket(apps[0]) if apps else naming.input_bucket
            uploads = [local.upload(path, path.name, bucket) for path in files]
        else:
            uploads = [local.upload(p, k) for p, k in sample_files(selected)]
        runs = [] if files else local.start_sample_runs(apps)
        local.wait(uploads)
        rows = local.summary(uploads, runs)
        dead = local.dead_letters()
        alerts = local.alerts()
        if as_json:
            for row in rows:
                print(json.dumps(row.to_json(), ensure_ascii=False), file=stream, flush=True)
            failed = any(row.state in (FAILED, "NOT DELIVERED", "DEAD_LETTERED") for row in rows)
            return 1 if failed or dead else 0
        out("")
        out(render_table(rows))
        for row in rows:
            if row.note:
                out(f"  {row.input}: {row.note}")
        out("")
        if alerts:
            out(f"alerts sent to {naming.alerts_topic}:")
            out("\n".join(f"  {subject}" for subject in alerts))
            out("")
        out(where_to_look(local, dead, keep=keep))
        if keep:
            _wait_for_interrupt(out)
    failed = any(row.state in (FAILED, "NOT DELIVERED", "DEAD_LETTERED") for row in rows)
    return 1 if failed or dead else 0


def _wait_for_interrupt(out: Output) -> None:
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        out("stopping the local AWS")
