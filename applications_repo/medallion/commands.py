"""medallion's ``gdp`` commands: ``medallion run`` (start an execution for given run dates:
a re-run or a back-fill) and ``medallion executions`` (the latest, with their dates), on a
deployed stage or a local one kept with ``gdp run --keep`` (through ``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import date, timedelta

from applications_repo.medallion.application import MEDALLION
from applications_repo.medallion.names import MedallionNames
from shared.aws_session import stage_session
from shared.config import StageName, load_config
from shared.errors import PlatformError

MAX_DATES = 366
DEFAULT_LIMIT = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp medallion run|executions``."""
    parser = subparsers.add_parser("medallion", help="run or inspect the medallion pipeline")
    commands = parser.add_subparsers(dest="medallion_command", required=True)
    start = commands.add_parser(
        "run", help="start an execution for one date, several, or a range (a back-fill)"
    )
    start.add_argument("--date", action="append", default=[], help="YYYY-MM-DD (repeatable)")
    start.add_argument("--from", dest="first", help="first date of a range (YYYY-MM-DD)")
    start.add_argument("--to", dest="last", help="last date of a range (YYYY-MM-DD)")
    _stage_arguments(start)
    start.set_defaults(handler=run_dates)
    listed = commands.add_parser("executions", help="the latest executions and their dates")
    listed.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    _stage_arguments(listed)
    listed.set_defaults(handler=executions)


def _stage_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stage", default=StageName.DEV.value, choices=[s.value for s in StageName]
    )
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")


def dates_of(given: list[str], first: str | None, last: str | None) -> list[str]:
    """The run dates asked for, checked, each once, in order.

    Raises:
        PlatformError: a value that is not a date, a range given by half or backwards, none
            at all, or more than ``MAX_DATES``.
    """
    try:
        dates = [date.fromisoformat(d) for d in given]
        if (first is None) != (last is None):
            raise PlatformError("--from and --to go together")
        if first and last:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
            if end < start:
                raise PlatformError(f"--to {last} is before --from {first}")
            dates += [start + timedelta(days=n) for n in range((end - start).days + 1)]
    except ValueError as error:
        raise PlatformError(f"not a date (YYYY-MM-DD): {error}") from None
    unique = sorted(set(dates))
    if not unique:
        raise PlatformError("give --date YYYY-MM-DD, or --from and --to")
    if len(unique) > MAX_DATES:
        raise PlatformError(f"{len(unique)} dates: at most {MAX_DATES} per execution")
    return [d.isoformat() for d in unique]


def run_dates(args: argparse.Namespace) -> int:
    """Start one execution over the dates; print its ARN."""
    dates = dates_of(args.date, args.first, args.last)
    context = MEDALLION.context(load_config(args.config), args.stage)
    names = MedallionNames(context.naming)
    sfn = stage_session(context.naming, "gdp-medallion").client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=names.state_machine_arn,
        name=f"gdp-{dates[0]}-{uuid.uuid4().hex[:8]}",
        input=json.dumps({"run_dates": dates}),
    )
    print(json.dumps({"execution": started["executionArn"], "run_dates": dates}))
    return 0


def executions(args: argparse.Namespace) -> int:
    """Print the latest executions, one JSON line each."""
    context = MEDALLION.context(load_config(args.config), args.stage)
    names = MedallionNames(context.naming)
    sfn = stage_session(context.naming, "gdp-medallion").client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=names.state_machine_arn, maxResults=args.limit)
    for execution in listed["executions"]:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        print(
            json.dumps(
                {
                    "execution": execution["name"],
                    "status": execution["status"],
                    "started": execution["startDate"].isoformat(),
                    "input": json.loads(described.get("input") or "{}"),
                    "error": described.get("error"),
                }
            )
        )
    return 0
