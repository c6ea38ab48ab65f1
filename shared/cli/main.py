"""``gdp``'s argument parsing and dispatch; subcommands live in their own modules.

Applications add subcommands through the ``gdp.commands`` entry-point group: each entry point
is a function ``register(subparsers)`` that adds its parsers and sets ``handler``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from shared.cli import (
    bootstrap_commands,
    config_commands,
    docs_command,
    infrastructure_command,
    run_command,
    runbook_command,
    synth_command,
)
from shared.errors import PlatformError

PLUGIN_GROUP = "gdp.commands"
BUILT_IN = (
    run_command,
    config_commands,
    synth_command,
    bootstrap_commands,
    infrastructure_command,
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
    for entry_point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        entry_point.load()(subparsers)
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
