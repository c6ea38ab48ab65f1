"""``gdp run``: the whole system end to end on this machine, on an embedded AWS."""

from __future__ import annotations

import argparse
from pathlib import Path

from shared.config import StageName, load_config
from shared.errors import PlatformError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp run``."""
    parser = subparsers.add_parser(
        "run",
        help="run a stage end to end on moto and local Spark (samples, or your FILEs)",
    )
    parser.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="your files instead of the samples"
    )
    parser.add_argument(
        "--stage",
        default=StageName.DEV.value,
        choices=[s.value for s in StageName],
        help="whose settings to run with (default: dev)",
    )
    parser.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="NAME",
        help="only this application (repeatable; `gdp apps` lists them); FILEs go to its input",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per input on stdout (app, input, run, state, rows_read, "
        "rows_written, rows_rejected, output, seconds, note); progress on stderr",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the local AWS up for exploring until Ctrl-C"
    )
    parser.add_argument(
        "--assembly",
        type=Path,
        metavar="DIR",
        help="run the templates `gdp synth --outdir DIR` wrote (DIR/infrastructure, "
        "DIR/applications) instead of synthesizing",
    )
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check the files, then run."""
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        raise PlatformError(f"no such file: {', '.join(missing)}")
    # moto loads only for the command that uses it.
    from shared.local.run import run_locally  # noqa: PLC0415

    if args.files and len(args.app) > 1:
        raise PlatformError("FILEs go to one application: give at most one --app with them")
    return run_locally(
        load_config(args.config),
        StageName(args.stage),
        args.files,
        apps=args.app,
        as_json=args.json,
        keep=args.keep,
        config_path=args.config,
        assembly_dir=args.assembly,
    )
