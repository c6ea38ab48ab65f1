"""jobs-api's ``gdp`` commands: ``jobs-api openapi`` (the OpenAPI document generated from
the API function's routes: printed, written to the committed copy, or checked against it)."""

from __future__ import annotations

import argparse
import json
import sys

from applications_repo.jobs_api.definition import OPENAPI


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp jobs-api``."""
    jobs_api = subparsers.add_parser("jobs-api", help="jobs-api's REST API")
    commands = jobs_api.add_subparsers(dest="jobs_api_command", required=True)
    openapi = commands.add_parser(
        "openapi",
        help="the OpenAPI document generated from the API's routes (stdout), or --write it to "
        f"{OPENAPI.name}, or --check that the committed one is current",
    )
    mode = openapi.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write it to {OPENAPI}")
    mode.add_argument("--check", action="store_true", help="exit 1 if the committed one differs")
    openapi.set_defaults(handler=_openapi)


def generated() -> str:
    """The document, as committed (sorted keys, two-space indent, final newline)."""
    from applications_repo.jobs_api.runtime.api import openapi  # noqa: PLC0415 (Powertools)

    return json.dumps(json.loads(openapi()), indent=2, sort_keys=True) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    document = generated()
    if args.write:
        OPENAPI.write_text(document)
        print(f"wrote {OPENAPI}")
        return 0
    if args.check:
        if not OPENAPI.is_file() or OPENAPI.read_text() != document:
            print(
                f"{OPENAPI} differs from the API's routes: run gdp jobs-api openapi --write",
                file=sys.stderr,
            )
            return 1
        print(f"{OPENAPI} is current")
        return 0
    sys.stdout.write(document)
    return 0
