"""``gdp redrive``: send what waits in a dead-letter queue back to where it failed."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from shared.aws_session import stage_session
from shared.config import StageName, load_config
from shared.naming import StageNaming


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp redrive``."""
    parser = subparsers.add_parser(
        "redrive",
        help="re-drive a dead-letter queue of a deployed (or --keep local) stage: functions "
        "invoked again with the events they failed on, queue messages sent back",
    )
    parser.add_argument("queue", nargs="+", help="the dead-letter queue's name (repeatable)")
    parser.add_argument(
        "--stage", default=StageName.DEV.value, choices=[s.value for s in StageName]
    )
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """One JSON line per message; exit 1 when any stayed in its queue."""
    from shared.redrive import redrive  # noqa: PLC0415 (boto3 loads for this command only)

    naming = StageNaming.of(load_config(args.config), args.stage)
    session = stage_session(naming, "gdp-redrive")
    left = 0
    for queue in args.queue:
        for redriven in redrive(session, queue):
            left += redriven.problem is not None
            print(json.dumps({"queue": queue, **asdict(redriven)}), flush=True)
    return 1 if left else 0
