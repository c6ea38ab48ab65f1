"""``gdp runbook``: the operations commands of docs/operations.md for a stage of the config."""

from __future__ import annotations

import argparse

from shared.config import StageName, load_config
from shared.runbook import runbook


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp runbook``."""
    parser = subparsers.add_parser(
        "runbook", help="print the operations commands (docs/operations.md) for a stage"
    )
    parser.add_argument(
        "--stage", default=StageName.DEV.value, choices=[s.value for s in StageName]
    )
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    parser.set_defaults(handler=print_runbook)


def print_runbook(args: argparse.Namespace) -> int:
    """One line per command, with what it does."""
    for purpose, command in runbook(load_config(args.config), StageName(args.stage)):
        print(f"# {purpose}\n{command}")
    return 0
