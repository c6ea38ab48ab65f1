"""``gdp infrastructure check``: is a stage's infrastructure as new as the applications need?"""

from __future__ import annotations

import argparse
import os

import boto3

from shared.config import StageName, load_config
from shared.infrastructure_contract import CONTRACT_VERSION, check
from shared.naming import StageNaming

ROLE_ENV_VAR = "GDP_TEST_ROLE_ARN"
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
    deployed = check(_session(naming).client("cloudformation"), naming)
    print(
        f"{naming.stage}: infrastructure at contract version {deployed} (need {CONTRACT_VERSION})"
    )
    return 0


def _session(naming: StageNaming) -> boto3.Session:
    role_arn = os.environ.get(ROLE_ENV_VAR)
    if not role_arn:
        return boto3.Session(region_name=naming.region)
    credentials = boto3.client("sts", region_name=naming.region).assume_role(
        RoleArn=role_arn, RoleSessionName=SESSION_NAME
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=naming.region,
    )
