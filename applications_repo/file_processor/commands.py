"""FileProcessorV2's ``gdp`` commands: ``process`` (the job on local files), ``reprocess`` (re-drive
a deployed stage) and ``cost`` (a stage's monthly estimate)."""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from applications_repo.file_processor.application import FILE_PROCESSOR
from applications_repo.file_processor.cost import DEFAULT_MIX, estimate, parse_mix, render
from applications_repo.file_processor.definition import definition
from applications_repo.file_processor.engine_choice import EngineChoice, choose
from applications_repo.file_processor.job.engines import make_engine
from applications_repo.file_processor.job.local_catalog import ParquetFolderCatalog
from applications_repo.file_processor.job.processor import FileRequest, process_file
from applications_repo.file_processor.job.summary import RunStatus, RunSummary
from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.file_processor.uploads import TriggerConfig, UploadedObject, rejection
from shared.config import StageName, load_config
from shared.glue.storage import LocalStorage

LOCAL_JOB_SUFFIX = "local"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp process``, ``reprocess`` and ``cost``."""
    process = subparsers.add_parser(
        "process", help="run FileProcessorV2 on local CSV files; one JSON line per file"
    )
    process.add_argument("files", nargs="+", metavar="FILE", help="CSV files to process")
    process.add_argument("--out", required=True, type=Path, help="output directory")
    process.add_argument(
        "--stage",
        default=StageName.DEV.value,
        choices=[s.value for s in StageName],
        help="whose settings (size limits) apply (default: dev)",
    )
    process.add_argument(
        "--engine",
        default=EngineChoice.AUTO.value,
        choices=[choice.value for choice in EngineChoice],
        help="arrow (one machine), spark, or auto: arrow up to glue.single_node_max_bytes",
    )
    process.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    process.set_defaults(handler=run_process)

    reprocess = subparsers.add_parser(
        "reprocess",
        help="re-drive FileProcessorV2 on a deployed (or --keep local) stage: files, a prefix, "
        "or the dead-letter queue",
    )
    what = reprocess.add_mutually_exclusive_group(required=True)
    what.add_argument("--key", action="append", help="an input key (repeatable)")
    what.add_argument("--prefix", help="every input key under this prefix")
    what.add_argument(
        "--dead-letters", action="store_true", help="the events in the dead-letter queue"
    )
    reprocess.add_argument(
        "--stage", default=StageName.DEV.value, choices=[s.value for s in StageName]
    )
    reprocess.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    reprocess.set_defaults(handler=run_reprocess)

    cost = subparsers.add_parser(
        "cost", help="estimate a stage's monthly cost of FileProcessorV2 for a mix of files"
    )
    cost.add_argument(
        "--mix",
        default=DEFAULT_MIX,
        help=f"files per day and their size, e.g. {DEFAULT_MIX} (the default)",
    )
    cost.add_argument("--stage", default=StageName.PROD.value, choices=[s.value for s in StageName])
    cost.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    cost.set_defaults(handler=run_cost)


def run_cost(args: argparse.Namespace) -> int:
    """Print the estimate of the stage's monthly cost."""
    context = FILE_PROCESSOR.context(load_config(args.config), args.stage)
    estimated = estimate(context.settings, context.app, parse_mix(args.mix))
    print(render(args.stage, context.settings, estimated))
    return 0


def run_process(args: argparse.Namespace) -> int:
    """Process each file; exit 0 when every file SUCCEEDED, else 1."""
    context = FILE_PROCESSOR.context(load_config(args.config), args.stage)
    naming, limits = context.naming, context.app
    names = FileProcessorNames(naming)
    job = names.job
    trigger = TriggerConfig(
        job_name=job,
        output_bucket=str(args.out),
        database=naming.database,
        min_object_bytes=limits.min_object_bytes,
        max_object_bytes=limits.max_object_bytes,
        single_node_max_bytes=context.settings.glue.single_node_max_bytes,
        single_node_function=names.single_node_function,
    )
    job_name = f"{job}-{LOCAL_JOB_SUFFIX}"
    all_succeeded = True
    for file in args.files:
        summary = _process_one(Path(file), args.out, trigger, job_name, args.engine)
        print(json.dumps(summary.report(), ensure_ascii=False), flush=True)
        all_succeeded = all_succeeded and summary.status is RunStatus.SUCCEEDED
    return 0 if all_succeeded else 1


def _process_one(
    path: Path, out: Path, trigger: TriggerConfig, job_name: str, engine: str
) -> RunSummary:
    started = datetime.now(UTC)
    source = str(path.resolve())
    try:
        size = path.stat().st_size
    except OSError as error:
        return RunSummary.ended(
            source, RunStatus.FAILED, started, error=f"cannot read: {error.strerror}"
        )
    if path.is_dir():
        return RunSummary.ended(source, RunStatus.REJECTED, started, error="a folder, not a file")
    refused = rejection(
        UploadedObject(bucket="", key=path.name, size=size, version_id=None), trigger
    )
    if refused:
        return RunSummary.ended(source, RunStatus.REJECTED, started, error=refused.message)
    request = FileRequest(
        source_uri=source,
        source_version=None,
        output_root=str(out.resolve()),
        job_name=job_name,
        run_id=f"{LOCAL_JOB_SUFFIX}-{uuid.uuid4().hex[:12]}",
    )
    choice = choose(engine, size, trigger.single_node_max_bytes)
    return process_file(
        make_engine(choice, job_name), LocalStorage(), request, ParquetFolderCatalog(out.resolve())
    )


def run_reprocess(args: argparse.Namespace) -> int:
    """Start the runs; one JSON line each; exit 1 when any could not be started."""
    import boto3  # noqa: PLC0415 (boto3 and the trigger's Powertools cost `gdp process` 0.3 s)

    from applications_repo.file_processor.reprocess import Reprocessor  # noqa: PLC0415

    context = FILE_PROCESSOR.context(load_config(args.config), args.stage)
    what = definition(context.naming, context.settings, context.app)
    [handler], [single_node] = what.handlers, what.function_jobs
    session = boto3.session.Session(region_name=context.naming.region)
    reprocessor = Reprocessor(session, handler, single_node)
    if args.dead_letters:
        redrives = list(reprocessor.dead_letters())
    else:
        objects = (
            reprocessor.objects(args.prefix)
            if args.prefix is not None
            else (obj for key in args.key for obj in reprocessor.objects(key) if obj.key == key)
        )
        redrives = [reprocessor.start(obj) for obj in objects]
    for redrive in redrives:
        print(json.dumps(asdict(redrive)), flush=True)
    if not redrives:
        print(json.dumps({"object": None, "job_run_id": None, "problem": "nothing to re-drive"}))
    return 0 if all(r.handled for r in redrives) else 1
