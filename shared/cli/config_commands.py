"""``gdp config show`` and ``gdp config validate``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from shared.config import PlatformConfig, load_config, resolve_config_path
from shared.config.models import StageName
from shared.errors import ConfigError
from shared.naming import StageNaming
from shared.registry import registered

INVALID_CONFIG_EXIT_CODE = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp config``."""
    parser = subparsers.add_parser("config", help="show or validate the platform's config file")
    commands = parser.add_subparsers(metavar="ACTION", required=True)

    show = commands.add_parser("show", help="print the resolved config (defaults applied)")
    show.add_argument("file", nargs="?", help="config file (default: platform.yaml or $GDP_CONFIG)")
    show.set_defaults(handler=show_config)

    validate = commands.add_parser(
        "validate", help="check a config file; exit 0 when valid, 2 with every problem otherwise"
    )
    validate.add_argument("file", nargs="?", help="config file (default: platform.yaml)")
    validate.set_defaults(handler=validate_config)


def show_config(args: argparse.Namespace) -> int:
    """Print the resolved config as YAML, with the names each stage gets."""
    config = load_config(args.file)
    print(f"# {resolve_config_path(args.file)}")
    document = config.model_dump(mode="json")
    document["names"] = {
        stage.value: _names(config, StageNaming.of(config, stage)) for stage in StageName
    }
    print(yaml.safe_dump(document, sort_keys=False, width=100), end="")
    return 0


def validate_config(args: argparse.Namespace) -> int:
    """Report every problem of the config file, or that it is valid."""
    path = resolve_config_path(args.file)
    try:
        config = load_config(args.file)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return INVALID_CONFIG_EXIT_CODE
    accounts = config.accounts
    summary = ", ".join(
        f"{name} {account.account_id} {account.region}"
        for name, account in (
            ("pipeline", accounts.pipeline),
            ("dev", accounts.dev),
            ("prod", accounts.prod),
        )
    )
    print(f"{path}: valid ({summary})")
    return 0


def _names(config: PlatformConfig, naming: StageNaming) -> dict[str, Any]:
    """The platform's shared names, then each registered application's declared names."""
    platform: dict[str, Any] = {
        "input_bucket": naming.input_bucket,
        "output_bucket": naming.output_bucket,
        "assets_bucket": naming.assets_bucket,
        "database": naming.database,
        "test_role": naming.role_arn(naming.test_role),
    }
    for application in registered():
        declared = application.names(application.context(config, naming.stage))
        platform[application.name] = {d.name: str(d.kind) for d in declared}
    return platform
