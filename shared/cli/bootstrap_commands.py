"""``gdp bootstrap``: the scoped execution policy, and the bootstrap and first-deploy commands
filled in from the config."""

from __future__ import annotations

import argparse
import json

from shared.bootstrap import execution_policy, execution_policy_name
from shared.config import PlatformConfig, StageName, load_config
from shared.naming import AppName, PipelineNaming, StageNaming

CDK = "npx cdk"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp bootstrap``."""
    parser = subparsers.add_parser(
        "bootstrap", help="print the bootstrap policy and commands for the configured accounts"
    )
    actions = parser.add_subparsers(metavar="ACTION", required=True)
    policy = actions.add_parser("policy", help="the scoped CloudFormation execution policy (JSON)")
    policy.add_argument("--stage", required=True, choices=[s.value for s in StageName])
    policy.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    policy.set_defaults(handler=print_policy)
    commands = actions.add_parser(
        "commands", help="bootstrap every account and deploy both pipelines, step by step"
    )
    commands.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    commands.set_defaults(handler=print_commands)


def print_policy(args: argparse.Namespace) -> int:
    """Print the execution policy document of one stage account."""
    config = load_config(args.config)
    print(json.dumps(execution_policy(config, StageName(args.stage)), indent=2))
    return 0


def print_commands(args: argparse.Namespace) -> int:
    """Print the first-deployment commands for the configured accounts."""
    print(deployment_commands(load_config(args.config)))
    return 0


def deployment_commands(config: PlatformConfig) -> str:
    """The commands that take the configured accounts from nothing to two running pipelines.

    Stages that share an account are bootstrapped once, with the policies of all of them; an
    account that is also the pipeline account keeps the default execution policy, which the
    pipeline stacks need.
    """
    pipeline = config.accounts.pipeline
    lines = [
        "# Run from the repository root after `make setup`, with an AWS CLI profile per",
        "# account (replace the --profile values with yours).",
        "",
        f"# Bootstrap the pipeline account {pipeline.account_id} ({pipeline.region}).",
        f"{CDK} bootstrap aws://{pipeline.account_id}/{pipeline.region} --profile pipeline",
    ]
    targets: dict[tuple[str, str], list[StageNaming]] = {}
    for stage in StageName:
        n = StageNaming.of(config, stage)
        targets.setdefault((n.account, n.region), []).append(n)
    for (account, region), namings in targets.items():
        stages = " and ".join(n.stage.value for n in namings)
        profile = namings[0].stage.value
        lines += [
            "",
            f"# Bootstrap the {stages} account {account} ({region}), trusting the pipeline account",
        ]
        if account == pipeline.account_id:
            lines += [
                "# (it is the pipeline account too: a single-account trial keeps the default",
                "# execution policy, which the pipeline stacks need).",
                f"{CDK} bootstrap aws://{account}/{region} --trust {pipeline.account_id} "
                "--profile pipeline",
            ]
            continue
        lines.append("# with the scoped execution policy the project ships.")
        policy_arns = []
        for n in namings:
            name = execution_policy_name(n.stage)
            policy_file = f"{n.stage}-execution-policy.json"
            policy_arns.append(f"arn:{n.partition}:iam::{account}:policy/{name}")
            lines += [
                f".venv/bin/gdp bootstrap policy --stage {n.stage} > {policy_file}",
                f"aws iam create-policy --policy-name {name} "
                f"--policy-document file://{policy_file} --profile {profile}",
            ]
        lines.append(
            f"{CDK} bootstrap aws://{account}/{region} --trust {pipeline.account_id} "
            f"--trust-for-lookup {pipeline.account_id} "
            f"--cloudformation-execution-policies {','.join(policy_arns)} --profile {profile}"
        )
    lines += ["", "# Deploy each pipeline once; from then on a git push deploys."]
    for app in AppName:
        lines.append(
            f"(cd {app.folder} && {CDK} deploy {PipelineNaming(app).stack_id} --profile pipeline)"
        )
    return "\n".join(lines)
