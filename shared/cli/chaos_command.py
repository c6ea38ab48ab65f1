"""``gdp chaos``: every application under injected faults on the local stage, then an audit
that every input is accounted for (``shared.chaos.run``)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from shared.chaos import DEFAULT_INPUTS, DEFAULT_SEED
from shared.config import LOCAL_RUN_ROOT, load_config

CHAOS_ROOT = LOCAL_RUN_ROOT / "chaos"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp chaos``."""
    parser = subparsers.add_parser(
        "chaos",
        help="feed every application on the local stage while faults are injected at seeded "
        "points, recover, and audit that no input was lost or duplicated",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="where the faults fall (same seed, same run)"
    )
    parser.add_argument(
        "--inputs",
        type=int,
        default=DEFAULT_INPUTS,
        help=f"inputs over every application (default: {DEFAULT_INPUTS})",
    )
    parser.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="NAME",
        help="only this application's inputs (repeatable; `gdp apps` lists them)",
    )
    parser.add_argument(
        "--assembly",
        type=Path,
        metavar="DIR",
        help="deploy the templates `gdp synth --outdir DIR` wrote instead of synthesizing",
    )
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run, print the report's lines and the audit's line; 0 when nothing was lost or
    duplicated."""
    from shared.chaos.run import REPORT_FILE, run_chaos  # noqa: PLC0415 (moto loads here)
    from shared.config import StageName  # noqa: PLC0415
    from shared.local.run import ASSEMBLY_CACHE, synthesized_stage  # noqa: PLC0415

    started = time.monotonic()
    lock = threading.Lock()

    def progress(line: str) -> None:
        with lock:
            print(f"{time.monotonic() - started:6.1f}s  {line}", file=sys.stderr, flush=True)

    workdir = CHAOS_ROOT / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-seed{args.seed}"
    workdir.mkdir(parents=True, exist_ok=True)
    report = run_chaos(
        load_config(args.config),
        seed=args.seed,
        inputs=args.inputs,
        workdir=workdir,
        progress=progress,
        apps=args.app,
        assembly=synthesized_stage(args.assembly, StageName.DEV) if args.assembly else None,
        assembly_cache=LOCAL_RUN_ROOT / ASSEMBLY_CACHE,
    )
    summary = report.to_json()
    print("faults injected:")
    for fault, count in summary["faults"]["injected"].items():
        print(f"  {count:5d}  {fault}")
    for what, count in summary["faults"]["observed"].items():
        print(f"  ({count} {what})")
    print("recovery run:")
    for command in dict.fromkeys(report.recovery):
        print(f"  {command}")
    print("inputs:")
    for kind, counts in summary["inputs"].items():
        print(f"  {kind}: {json.dumps(counts)}")
    for line in summary["not_processed"]:
        print(f"  {line}")
    print(f"report: {workdir / REPORT_FILE}")
    print(report.line())
    return 0 if report.passed else 1
