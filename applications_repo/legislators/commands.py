"""ProcessLegislators' ``gdp`` command: the job on a local copy of the legislators data."""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import asdict
from pathlib import Path

from shared.glue.storage import LocalStorage

LOCAL_RUN_PREFIX = "local"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp legislators``."""
    legislators = subparsers.add_parser(
        "legislators", help="run ProcessLegislators on a local copy of the legislators data"
    )
    legislators.add_argument(
        "--input", required=True, type=Path, help="persons/memberships/organizations folder"
    )
    legislators.add_argument("--out", required=True, type=Path, help="output directory")
    legislators.set_defaults(handler=run_legislators)


def run_legislators(args: argparse.Namespace) -> int:
    """Build the history from a local folder and print the counts."""
    # Spark starts only for the commands that need it.
    from applications_repo.legislators.job.entrypoint import process_legislators  # noqa: PLC0415
    from shared.glue.session import get_spark  # noqa: PLC0415

    run_id = f"{LOCAL_RUN_PREFIX}-{uuid.uuid4().hex[:12]}"
    spark = get_spark("ProcessLegislators")
    counts = process_legislators(
        spark,
        LocalStorage(),
        input_uri=str(args.input.resolve()),
        output_root=str(args.out.resolve()),
        run_id=run_id,
    )
    print(json.dumps(asdict(counts)), flush=True)
    return 0
