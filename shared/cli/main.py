"""``gdp``'s argument parsing and dispatch; subcommands live in their own modules.

Each registered application adds its own subcommands (``Application.register_commands``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shared.cli import (
    apps_command,
    bootstrap_commands,
    chaos_command,
    config_commands,
    docs_command,
    infrastructure_command,
    query_command,
    redrive_command,
    run_command,
    runbook_command,
    synth_command,
)
from shared.errors import PlatformError
from shared.registry import registered

BUILT_IN = (
    apps_command,
    run_command,
    chaos_command,
    query_command,
    config_commands,
    synth_command,
    bootstrap_commands,
    infrastructure_command,
    redrive_command,
    runbook_command,
    docs_command,
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``gdp`` subcommand, built-in and from installed applications."""
    parser = argparse.ArgumentParser(
        prog="gdp",
        description="Work with the Glue data platform on this machine.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in BUILT_IN:
        module.register(subparsers)
    for application in registered():
        application.register_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``gdp`` command; errors the platform expects are one line, exit code 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except PlatformError as error:
        print(f"gdp: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gdp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
