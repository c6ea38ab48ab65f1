"""parquet-to-json's ``gdp`` commands: ``parquet-to-json`` (the job on local files, with the
orchestrator's checks first) and ``p2j status|retry`` (the sweeper of a deployed stage, or of
a local one kept with ``gdp run --keep``, through ``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from applications_repo.parquet_to_json.application import PARQUET_TO_JSON
from applications_repo.parquet_to_json.job.conversion import (
    Conversion,
    ConversionRequest,
    convert_file,
)
from applications_repo.parquet_to_json.job.engines import make_engine
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.settings import ParquetToJsonSettings
from applications_repo.parquet_to_json.statuses import Status
from applications_repo.parquet_to_json.uploads import Limits, parquet_problem
from shared.aws_session import invoke_function
from shared.config import StageName, load_config
from shared.glue.storage import LocalStorage
from shared.outcomes import REJECTED, SUCCEEDED

ENGINES = ("auto", "arrow", "spark")
REJECTS_FOLDER = "rejected"
LOCAL_JOB_NAME = "parquet-to-json-local"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp parquet-to-json`` and ``gdp p2j``."""
    convert = subparsers.add_parser(
        "parquet-to-json",
        help="convert local Parquet files to JSON Lines as the deployed job does; one JSON "
        "line per file",
    )
    convert.add_argument("files", nargs="+", metavar="FILE", help="Parquet files")
    convert.add_argument("--out", required=True, type=Path, help="output directory")
    convert.add_argument(
        "--engine",
        default="auto",
        choices=ENGINES,
        help="arrow (one machine), spark, or auto: arrow up to single_node_max_mb (default)",
    )
    _stage_arguments(convert)
    convert.set_defaults(handler=run_convert)

    p2j = subparsers.add_parser("p2j", help="parquet-to-json's runs: status, retry")
    actions = p2j.add_subparsers(dest="p2j_action", required=True)
    status = actions.add_parser("status", help="counts by status; with --status, the files")
    status.add_argument("--status", choices=[s.value for s in Status])
    status.add_argument("--limit", type=int, default=50, help="files shown at most (50)")
    retry = actions.add_parser("retry", help="run FAILED or REJECTED files again")
    retry.add_argument("file_ids", nargs="+", metavar="FILE_ID", help="{key}@{version}")
    for parser in (status, retry):
        _stage_arguments(parser)
        parser.set_defaults(handler=run_sweeper)


def _stage_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stage",
        default=StageName.DEV.value,
        choices=[s.value for s in StageName],
        help="whose settings apply (default: dev)",
    )
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")


def run_convert(args: argparse.Namespace) -> int:
    """Convert each file; exit 0 when every file SUCCEEDED, else 1."""
    own: ParquetToJsonSettings = PARQUET_TO_JSON.context(load_config(args.config), args.stage).app
    results = [convert_one(Path(file), args.out, own, args.engine) for file in args.files]
    for result in results:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if all(r["status"] == SUCCEEDED for r in results) else 1


def local_problem(path: Path, limits: Limits) -> str | None:
    """Why the orchestrator would reject this file, if it would."""
    if path.is_dir():
        return "is a folder, not a file"
    try:
        with path.open("rb") as stream:

            def read(start: int, length: int) -> bytes:
                stream.seek(start)
                return stream.read(length)

            return parquet_problem(path.stat().st_size, read, limits)
    except OSError as error:
        return f"cannot be read: {error.strerror}"


def convert_one(path: Path, out: Path, own: ParquetToJsonSettings, engine: str) -> dict[str, Any]:
    """One file: the orchestrator's checks, then the job's conversion into ``out``."""
    source = str(path)
    problem = local_problem(path, Limits(own.min_file_bytes, own.max_file_bytes))
    if problem:
        return {"file": source, "status": REJECTED, "error": f"{source} {problem}"}
    size = path.stat().st_size
    if engine == "auto":
        engine = "arrow" if size <= own.single_node_max_bytes else "spark"
    stem = path.name.removesuffix(path.suffix) if path.suffix else path.name
    request = ConversionRequest(
        source=source,
        source_version=None,
        output=str((out / f"{stem}.json").resolve()),
        rejects=str((out / REJECTS_FOLDER / f"{stem}.json").resolve()),
        run_id=f"local-{uuid.uuid4().hex[:12]}",
        contract=own.contract(),
        batch_rows=own.batch_rows,
    )
    done = convert_file(make_engine(engine, LOCAL_JOB_NAME), LocalStorage(), None, request)
    return {"file": source, **_summary(done)}


def _summary(done: Conversion) -> dict[str, Any]:
    """What the run reported, without the empty fields."""
    return {k: v for k, v in asdict(done).items() if v not in (None, {}, [])}


def run_sweeper(args: argparse.Namespace) -> int:
    """Invoke the sweeper; print its answer as JSON."""
    context = PARQUET_TO_JSON.context(load_config(args.config), args.stage)
    function = ParquetToJsonNames(context.naming).sweeper
    event: dict[str, Any] = {"action": args.p2j_action}
    if args.p2j_action == "status":
        event |= {"limit": args.limit, **({"status": args.status} if args.status else {})}
    else:
        event["file_ids"] = args.file_ids
    answer = invoke_function(context.naming, function, event, "gdp-p2j")
    print(json.dumps(answer, indent=2, default=str))
    return 0
