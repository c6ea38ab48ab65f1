"""``gdp apps``: the registered applications, their stacks, inputs and commands."""

from __future__ import annotations

import argparse
import json

from shared.config import StageName, load_config
from shared.registry import registered


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp apps``."""
    parser = subparsers.add_parser(
        "apps", help="list the registered applications: stacks, inputs, jobs and commands"
    )
    parser.add_argument(
        "--stage", default=StageName.DEV.value, choices=[s.value for s in StageName]
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per application")
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    parser.set_defaults(handler=list_apps)


def list_apps(args: argparse.Namespace) -> int:
    """Print each registered application of the stage."""
    config = load_config(args.config)
    for application in registered():
        context = application.context(config, args.stage)
        what = application.definition(context)
        commands = argparse.ArgumentParser(add_help=False).add_subparsers()
        application.register_commands(commands)
        entry = {
            "app": application.name,
            "description": application.description,
            "stack": context.naming.application_stack(application.name),
            "inputs": sorted(what.input_buckets),
            "jobs": [job.name for job in what.jobs],
            "functions": [name for name, _ in what.alarmed_functions]
            + [h.function_name for h in what.job_state_handlers]
            + [j.function_name for j in what.function_jobs],
            "commands": sorted(commands.choices),
            "docs": application.docs_page,
        }
        if args.json:
            print(json.dumps(entry))
            continue
        print(f"{entry['app']}: {entry['description']}")
        for key in ("stack", "inputs", "jobs", "functions", "commands", "docs"):
            value = entry[key]
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"  {key + ':':11}{shown or '-'}")
    return 0
