"""``gdp infrastructure check``: is a stage's infrastructure as new as the applications need?"""

from __future__ import annotations

import argparse

from shared.aws_session import ROLE_ENV_VAR, stage_session
from shared.config import StageName, load_config
from shared.infrastructure_contract import CONTRACT_VERSION, check
from shared.naming import StageNaming

SESSION_NAME = "gdp-infrastructure-check"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp infrastructure``."""
    parser = subparsers.add_parser("infrastructure", help="check a stage's infrastructure")
    actions = parser.add_subparsers(metavar="ACTION", required=True)
    checking = actions.add_parser(
        "check",
        help="exit 2 unless the stage's infrastructure is at the contract version the "
        f"applications need ({CONTRACT_VERSION}); as ${ROLE_ENV_VAR} when set",
    )
    checking.add_argument("--stage", required=True, choices=[s.value for s in StageName])
    checking.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    checking.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Print the deployed version; an older one raises a one-line error (exit 2)."""
    naming = StageNaming.of(load_config(args.config), args.stage)
    deployed = check(stage_session(naming, SESSION_NAME).client("cloudformation"), naming)
    print(
        f"{naming.stage}: infrastructure at contract version {deployed} (need {CONTRACT_VERSION})"
    )
    return 0
