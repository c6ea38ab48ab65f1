"""``gdp run``: one stage of the platform, end to end, on this machine.

The stage is made from its synthesized templates and runs in a local AWS (``shared.local.
stage``); sample files (or the user's) are uploaded through boto3 as a user would; a summary
shows what happened to every input, and what the stage holds is kept on disk afterwards.
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
from typing import Any

from shared.application import Definition
from shared.config import LOCAL_RUN_ROOT, PlatformConfig, StageName
from shared.errors import PlatformError
from shared.local import web_ui
from shared.local.deliveries import DEAD_LETTERED
from shared.local.glue_executor import FAILED, TIMEOUT, RunRecord
from shared.local.report import SummaryRow, Upload, relative, render_table, where_to_look
from shared.local.stage import IGNORED_SAMPLE_SUFFIXES, LocalStage, selected
from shared.local.stage_assembly import (
    StageAssembly,
    pipeline_stage_directories,
    read_assemblies,
)
from shared.monitoring.definition import stage_definitions
from shared.naming import AppName
from shared.outcomes import REJECTED, JobReport

WORK_ROOT = LOCAL_RUN_ROOT
ASSEMBLY_CACHE = "cdk.out"
"""Under WORK_ROOT: the stage's synthesized assemblies, by a digest of their inputs."""
NOT_DELIVERED = "NOT DELIVERED"
FAILED_STATES = (FAILED, NOT_DELIVERED, DEAD_LETTERED, TIMEOUT, "TIMED_OUT", "ABORTED")
SETTLE_ROUNDS = 5
SETTLE_PAUSE_SECONDS = 60.0
"""While inputs are still on their way once the stage is quiet (waiting for a batch's age),
time passes (a minute of the local clock) and the applications' settle schedules fire, at
most ``SETTLE_ROUNDS`` times."""

Output = Callable[[str], None]


def summary(
    local: LocalStage, uploads: Sequence[Upload], runs: Sequence[tuple[str, str]]
) -> list[SummaryRow]:
    """The final table: each upload and each sample run."""
    rows = []
    for upload in uploads:
        delivery = local.deliveries.get((upload.bucket, upload.key, upload.version_id))
        if state := local.input_state(upload):
            run = local.run(state.run_id) if state.run_id else None
            rows.append(
                SummaryRow(
                    upload.label,
                    state.run_id[:11] or "-",
                    state.state,
                    state.rows_read,
                    state.rows_written,
                    state.rows_rejected,
                    state.output,
                    run.duration_seconds if run else None,
                    state.note,
                    failed=state.failed or state.in_flight,
                    batch=state.batch,
                    record=state.record,
                )
            )
        elif delivery is None:
            rows.append(SummaryRow(upload.label, "-", NOT_DELIVERED, None, None, None, "", None))
        elif delivery.job_run_id and (record := local.run(delivery.job_run_id)):
            rows.append(_run_row(local, upload.label, record))
        else:
            note = f"{delivery.outcome.lower()} by {delivery.function_name}: {delivery.detail}"
            if delivery.quarantine:
                note += f"; reason kept in {delivery.quarantine}"
            rows.append(
                SummaryRow(
                    upload.label, "-", delivery.outcome, None, None, None, "", None, note=note
                )
            )
    by_bucket = {b: d.name for d in local.applications for b in d.input_buckets}
    by_job = {j.name: d.name for d in local.applications for j in d.jobs}
    rows = [
        replace(row, app=by_bucket.get(upload.bucket, ""))
        for row, upload in zip(rows, uploads, strict=True)
    ]
    rows += [
        replace(
            _run_row(local, label, local.executor.runs[run_id]),
            app=by_job.get(local.executor.runs[run_id].job_name, ""),
        )
        for label, run_id in runs
    ]
    rows += [
        SummaryRow(
            f"{workflow.state_machine} execution",
            execution.name[:11],
            execution.status,
            None,
            None,
            None,
            "",
            execution.seconds,
            f"{execution.path()}"
            + (f"; {execution.error}: {execution.cause[:300]}" if execution.error else ""),
            app=definition.name,
            record=execution.to_json(),
        )
        for definition in local.applications
        for workflow in definition.workflows
        for execution in local.state_machines.of(workflow.state_machine)
    ]
    return rows


def _run_row(local: LocalStage, label: str, record: RunRecord) -> SummaryRow:
    report = record.result or JobReport()
    state = record.state
    note = ""
    if record.state in (FAILED, TIMEOUT):
        note = f"{record.error} (log: {relative(record.log_file)})"
    elif report.status == REJECTED:
        state, note = REJECTED, f"rejected by the job: {report.error}"
        if report.quarantine:
            note += f"; reason kept in {report.quarantine}"
    elif report.rejects:
        note = f"rejected rows: {report.rejects}"
    output = (report.output or "").removeprefix(f"s3://{local.naming.output_bucket}/")
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
    config_path: str | None = None,
    out: Output | None = None,
    assembly_dir: Path | None = None,
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

    selected(stage_definitions(config, stage), apps)
    workdir = WORK_ROOT / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    with LocalStage(
        config,
        stage,
        workdir=workdir,
        progress=progress,
        config_path=config_path,
        assembly=synthesized_stage(assembly_dir, stage) if assembly_dir else None,
        assembly_cache=WORK_ROOT / ASSEMBLY_CACHE,
    ) as local:
        naming = local.naming
        progress(
            f"moto at {local.aws.endpoint} is account {naming.account} ({naming.region}); "
            f"stage {stage} deployed from its templates"
        )
        if as_json:
            print(json.dumps(local.coverage.to_json()), file=stream, flush=True)
        else:
            out(local.coverage.line())
        for served in _serve_apis(local, apps, with_ui=keep, progress=progress):
            _announce(served, stream if as_json else None, out)
        uploads, runs = _feed(local, files, apps)
        rows = summary(local, uploads, runs)
        dead = local.dead_letters()
        alerts = local.alerts()
        snapshot = local.snapshot()
        failed = any(row.state in FAILED_STATES or row.failed for row in rows) or bool(dead)
        if as_json:
            for row in rows:
                print(json.dumps(row.to_json(), ensure_ascii=False), file=stream, flush=True)
            print(json.dumps({"snapshot": relative(snapshot)}), file=stream, flush=True)
            if keep:
                _wait_for_interrupt(out)
            return 1 if failed else 0
        out("")
        out(render_table(rows))
        for row in rows:
            if row.note:
                out(f"  {row.input}: {row.note}")
        out("")
        if alerts:
            out("alerts sent:")
            out("\n".join(f"  {subject}" for subject in alerts))
            out("")
        out(where_to_look(local, dead, snapshot, keep=keep))
        if keep:
            _wait_for_interrupt(out)
    return 1 if failed else 0


def synthesized_stage(outdir: Path, stage: StageName) -> StageAssembly:
    """The stage's assemblies in what ``gdp synth --outdir`` wrote.

    Raises:
        PlatformError: when an app's assembly is not there.
    """
    apps = {app: outdir / app.value for app in AppName}
    missing = [str(path) for path in apps.values() if not (path / "manifest.json").is_file()]
    if missing:
        raise PlatformError(f"--assembly: no cloud assembly in {', '.join(missing)}")
    return read_assemblies(pipeline_stage_directories(apps, stage))


def _feed(
    local: LocalStage, files: Sequence[Path], apps: Sequence[str]
) -> tuple[list[Upload], list[tuple[str, str]]]:
    """Upload the files (or every application's samples, each into its application's input
    bucket), start the sample runs, fire the schedules, and wait until the stage settles;
    the uploads and the (label, run id) of the runs started."""
    if files:
        bucket = local.input_bucket(apps[0]) if apps else local.naming.input_bucket
        uploads = [local.upload(path, path.name, bucket) for path in files]
    else:
        uploads = [
            local.upload(
                path, key, definition.input_buckets[0] if definition.input_buckets else None
            )
            for definition in local.selected(apps)
            for path, key in sample_files([definition])
        ]
    runs = [] if files else local.start_sample_runs(apps)
    if not files and not apps:
        local.fire_schedules()
    elif not files:
        local.fire_workflows(apps)
    local.wait(uploads)
    for _ in range(SETTLE_ROUNDS):
        if not any((s := local.input_state(u)) and s.in_flight for u in uploads):
            break
        time.sleep(local.clock.seconds(SETTLE_PAUSE_SECONDS))
        if not local.fire_settle_schedules(apps):
            break
        local.wait(uploads)
    return uploads, runs


def _serve_apis(
    local: LocalStage, apps: Sequence[str], *, with_ui: bool, progress: Output
) -> list[dict[str, str | None]]:
    """The (named) applications' REST APIs as the local stage serves them, and their web
    UIs, built and served beside them when ``with_ui`` (they stop with the stage)."""
    served: list[dict[str, str | None]] = []
    for definition in local.selected(apps):
        for api in definition.apis:
            url = local.rest_apis.urls[api.rest_api]
            ui_url = None
            if with_ui and api.ui is not None:
                running = web_ui.serve(web_ui.build(api.ui, progress), url, api.ui_port)
                local.keep_running(running)
                ui_url = running.url
            served.append({"application": definition.name, "api_url": url, "ui_url": ui_url})
    return served


def _announce(served: dict[str, str | None], stream: Any, out: Output) -> None:
    """Where an API (and its UI) listens: a JSON line on ``stream``, else a line of ``out``."""
    if stream is not None:
        print(json.dumps(served), file=stream, flush=True)
        return
    ui = f", its web UI at {served['ui_url']}" if served["ui_url"] else ""
    out(f"{served['application']}: API at {served['api_url']}{ui}")


def _wait_for_interrupt(out: Output) -> None:
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        out("stopping the local AWS")
