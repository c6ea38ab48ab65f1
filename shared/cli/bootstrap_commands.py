"""``gdp bootstrap``: the scoped execution policy, and the bootstrap and first-deploy commands
filled in from the config."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from shared.aws_session import stage_session
from shared.bootstrap import (
    DIGEST_PREFIX,
    execution_policies,
    execution_policy_name,
    policy_digest,
    stale_policies,
)
from shared.config import PlatformConfig, StageName, load_config
from shared.naming import AppName, PipelineNaming, StageNaming
from shared.registry import stage_stacks
from shared.storage_plan import bucket_plans

CDK = "npx cdk"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp bootstrap``."""
    parser = subparsers.add_parser(
        "bootstrap",
        help="print the bootstrap policy, and the deployment, promotion, rollback and "
        "teardown commands for the configured accounts",
    )
    actions = parser.add_subparsers(metavar="ACTION", required=True)
    policy = actions.add_parser(
        "policy", help="one document of the scoped CloudFormation execution policy (JSON)"
    )
    policy.add_argument("--stage", required=True, choices=[s.value for s in StageName])
    policy.add_argument("--part", type=int, default=1, help="which document (default: 1)")
    policy.add_argument(
        "--digest", action="store_true", help="print the digest of all documents instead"
    )
    policy.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    policy.set_defaults(handler=print_policy)
    check = actions.add_parser(
        "check",
        help="exit 1 when a stage account's execution policy is older than the derived one "
        "(run with that account's credentials)",
    )
    check.add_argument("--stage", required=True, choices=[s.value for s in StageName])
    check.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    check.set_defaults(handler=check_policy)
    commands = actions.add_parser(
        "commands", help="bootstrap every account and deploy both pipelines, step by step"
    )
    commands.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    commands.set_defaults(handler=print_commands)
    for name, help_text, printer in (
        ("promote", "see a pipeline's state and approve a prod deployment", promotion_commands),
        ("rollback", "roll a stage back to an earlier pipeline execution", rollback_commands),
        ("teardown", "delete the pipelines, then every stage stack", teardown_commands),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
        action.set_defaults(handler=_printing(printer))


def print_policy(args: argparse.Namespace) -> int:
    """Print one execution policy document of a stage account, or the digest of all."""
    documents = execution_policies(load_config(args.config), StageName(args.stage))
    if args.digest:
        print(policy_digest(documents))
        return 0
    if not 1 <= args.part <= len(documents):
        print(f"gdp bootstrap policy: --part must be 1 to {len(documents)}")
        return 2
    print(json.dumps(documents[args.part - 1], indent=2))
    return 0


def check_policy(args: argparse.Namespace) -> int:
    """Say whether the stage account runs the derived execution policy."""
    config = load_config(args.config)
    stage = StageName(args.stage)
    naming = StageNaming.of(config, stage)
    iam = stage_session(naming, "gdp-bootstrap-check").client("iam")
    stale = stale_policies(iam, config, stage)
    for line in stale:
        print(f"{stage}: {line}")
    if stale:
        print(f"{stage}: bootstrap again with the lines `gdp bootstrap commands` prints")
        return 1
    digest = policy_digest(execution_policies(config, stage))
    print(f"{stage}: the execution policy is current ({digest})")
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
        lines += [
            "# with the scoped execution policy the project derives (its digest is the",
            "# policies' description: when `gdp bootstrap check --stage STAGE` says it is",
            "# stale, run these lines again with `aws iam create-policy-version",
            "# --policy-arn ARN --set-as-default` in place of create-policy).",
        ]
        policy_arns = []
        for n in namings:
            documents = execution_policies(config, n.stage)
            digest = policy_digest(documents)
            for part in range(1, len(documents) + 1):
                name = execution_policy_name(n.stage, part)
                policy_file = f"{n.stage}-execution-policy-{part}.json"
                policy_arns.append(f"arn:{n.partition}:iam::{account}:policy/{name}")
                lines += [
                    f".venv/bin/gdp bootstrap policy --stage {n.stage} --part {part} "
                    f"> {policy_file}",
                    f"aws iam create-policy --policy-name {name} "
                    f"--policy-document file://{policy_file} "
                    f'--description "{DIGEST_PREFIX}{digest}" --profile {profile}',
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


def _printing(printer: Callable[[PlatformConfig], str]) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        print(printer(load_config(args.config)))
        return 0

    return handler


def _gated_stages(config: PlatformConfig) -> list[StageName]:
    return [stage for stage in StageName if config.stages.get(stage).approval_required]


def promotion_commands(config: PlatformConfig) -> str:
    """How to see where a pipeline is and approve (or reject) a gated stage."""
    lines = [
        "# Where each pipeline is: every stage with its latest status. A stage waiting for",
        "# approval shows its approval action InProgress.",
    ]
    for app in AppName:
        pipeline = PipelineNaming(app).pipeline
        lines.append(
            f"aws codepipeline get-pipeline-state --name {pipeline} --query "
            "'stageStates[].[stageName,latestExecution.status]' --output table --profile pipeline"
        )
    for stage in _gated_stages(config):
        lines += ["", f"# Approve (or, with status=Rejected, stop) the deployment to {stage}."]
        for app in AppName:
            naming = PipelineNaming(app)
            stage_id, action = naming.stage_id(stage), naming.approval_action(stage)
            lines += [
                f"aws codepipeline get-pipeline-state --name {naming.pipeline} --query "
                f"\"stageStates[?stageName=='{stage_id}'].actionStates[?actionName=='{action}']"
                f'[].latestExecution.token" --output text --profile pipeline',
                f"aws codepipeline put-approval-result --pipeline-name {naming.pipeline} "
                f"--stage-name {stage_id} --action-name {action} "
                "--result summary='<why>',status=Approved --token <token> --profile pipeline",
            ]
    return "\n".join(lines)


def rollback_commands(config: PlatformConfig) -> str:
    """How to put a stage back on the stacks of an earlier pipeline execution."""
    lines = [
        "# A bad change: revert its commit and push; the pipeline ships the previous code",
        "# through every test and gate again.",
        "git revert <commit> && git push",
        "",
        "# Faster, without a build: redeploy a stage from an earlier successful execution.",
    ]
    for app in AppName:
        naming = PipelineNaming(app)
        lines.append(
            f"aws codepipeline list-pipeline-executions --pipeline-name {naming.pipeline} "
            "--max-items 10 --profile pipeline"
        )
        for stage in StageName:
            lines.append(
                f"aws codepipeline rollback-stage --pipeline-name {naming.pipeline} "
                f"--stage-name {naming.stage_id(stage)} "
                "--target-pipeline-execution-id <execution id> --profile pipeline"
            )
    return "\n".join(lines)


def teardown_commands(config: PlatformConfig) -> str:
    """How to remove the platform: pipelines first, then each stage's stacks in reverse
    order of deployment, then the buckets a stage retains."""
    lines = ["# 1. The pipelines, so that nothing deploys again (pipeline account)."]
    lines += [
        f"(cd {app.folder} && {CDK} destroy {PipelineNaming(app).stack_id} --profile pipeline)"
        for app in reversed(AppName)
    ]
    lines += ["", "# 2. Each stage's stacks: the applications' first, each stack after those"]
    lines += ["#    that depend on it."]
    for stage in reversed(StageName):
        naming = StageNaming.of(config, stage)
        for app in reversed(AppName):
            for stack in reversed(stage_stacks(config, app, stage)):
                lines += [
                    f"aws cloudformation delete-stack --stack-name {stack} --profile {stage}",
                    f"aws cloudformation wait stack-delete-complete --stack-name {stack} "
                    f"--profile {stage}",
                ]
    retained = [stage for stage in StageName if config.stages.get(stage).retain_data]
    audited = [stage for stage in StageName if config.stages.get(stage).audit.trail]
    if retained or audited:
        lines += [
            "",
            "# 3. Buckets a stage retains, and every audit trail's bucket, outlive their stacks.",
            "#    After checking that nothing in them is still needed, empty each (every object",
            "#    version: the console's Empty button does it) and delete it.",
        ]
        for stage in StageName:
            naming = StageNaming.of(config, stage)
            names = [p.name for p in bucket_plans(naming, config.stages.get(stage))]
            kept = (names if stage in retained else []) + (
                [naming.audit_bucket] if stage in audited else []
            )
            lines += [f"aws s3api delete-bucket --bucket {name} --profile {stage}" for name in kept]
    pipeline_account = config.accounts.pipeline.account_id
    lines += [
        "",
        "# The pipelines' artifact buckets (generated names, ...-pipelineartifactsbucket...) and",
        "# their access-log buckets are retained too (pipeline account):",
    ]
    for app in AppName:
        bucket = PipelineNaming(app).access_logs_bucket(pipeline_account)
        lines.append(f"aws s3api delete-bucket --bucket {bucket} --profile pipeline")
    return "\n".join(lines)
