"""``gdp ndjson status|retry|release|requeue``: the state manager of a deployed stage (or of a
local one kept with ``gdp run --keep``, through ``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from applications_repo.ndjson_batching.application import NDJSON_BATCHING
from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.statuses import FileStatus
from shared.aws_session import invoke_function
from shared.config import StageName, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp ndjson``."""
    ndjson = subparsers.add_parser(
        "ndjson", help="ndjson-batching's files: status, retry, release, requeue"
    )
    actions = ndjson.add_subparsers(dest="ndjson_action", required=True)
    status = actions.add_parser("status", help="counts by status; with a filter, the files")
    status.add_argument("--status", choices=[s.value for s in FileStatus])
    status.add_argument("--date", help="the day the files' objects were created: YYYY-MM-DD")
    status.add_argument("--limit", type=int, default=50, help="files shown at most (50)")
    retry = actions.add_parser("retry", help="re-run the batches of failed and stuck files")
    retry.add_argument(
        "--stuck-after-minutes",
        type=int,
        help="unchanged this long counts as stuck (default: the stage's stuck_after_minutes)",
    )
    release = actions.add_parser("release", help="take back expired leases")
    requeue = actions.add_parser(
        "requeue", help="check a quarantined file again with the current rules"
    )
    requeue.add_argument("--key", required=True)
    requeue.add_argument("--version-id")
    for parser in (status, retry, release, requeue):
        parser.add_argument(
            "--stage", default=StageName.DEV.value, choices=[s.value for s in StageName]
        )
        parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
        parser.set_defaults(handler=run_action)


def request(args: argparse.Namespace) -> dict[str, Any]:
    """The state manager's event for the command line."""
    action = args.ndjson_action
    event: dict[str, Any] = {"action": action}
    if action == "status":
        event.update({k: v for k, v in (("status", args.status), ("date", args.date)) if v})
        event["limit"] = args.limit
    elif action == "retry" and args.stuck_after_minutes is not None:
        event["stuck_after_minutes"] = args.stuck_after_minutes
    elif action == "requeue":
        event["key"] = args.key
        if args.version_id:
            event["version_id"] = args.version_id
    return event


def run_action(args: argparse.Namespace) -> int:
    """Invoke the state manager; print its answer as JSON."""
    context = NDJSON_BATCHING.context(load_config(args.config), args.stage)
    function = NdjsonNames(context.naming).state_manager
    answer = invoke_function(context.naming, function, request(args), "gdp-ndjson")
    print(json.dumps(answer, indent=2, default=str))
    return 0
