"""``gdp synth``: synthesize the CDK apps and show what they produced and which gates passed."""

from __future__ import annotations

import argparse
from pathlib import Path

from shared.config import REPOSITORY_ROOT
from shared.errors import PlatformError
from shared.naming import AppName
from shared.synthesis import SynthResult, available_apps, synthesize


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp synth``."""
    parser = subparsers.add_parser(
        "synth",
        help="synthesize the CDK apps into each app's cdk.out/ (cdk-nag and cfn-lint gated)",
    )
    parser.add_argument(
        "--app",
        choices=[app.value for app in AppName],
        help="only this app (default: every app)",
    )
    parser.add_argument("--config", help="config file (default: platform.yaml or $GDP_CONFIG)")
    parser.add_argument(
        "--outdir",
        type=Path,
        help="write each app's cloud assembly to OUTDIR/<app> (default: the app's cdk.out/)",
    )
    parser.set_defaults(handler=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    """Synthesize, print each app's stacks and gates; exit 1 when cfn-lint finds problems."""
    apps = [AppName(args.app)] if args.app else available_apps()
    failed = False
    for app in apps:
        outdir = args.outdir / app.value if args.outdir else None
        result = synthesize(app, config_path=args.config, outdir=outdir)
        print(describe(result))
        failed = failed or bool(result.lint_findings) or bool(result.checkov.failed)
    if failed:
        raise PlatformError("cfn-lint or checkov found problems in the templates above")
    return 0


def describe(result: SynthResult) -> str:
    """A few lines: the app, its stacks with their accounts, and the gates it passed."""
    lines = [f"{result.app.value} app -> {_relative(result.outdir)}"]
    width = max(len(stack.stack_name) for stack in result.stacks)
    for stack in result.stacks:
        stage = stack.construct_path.split("/")[1] if "/" in stack.construct_path else "pipeline"
        lines.append(f"  {stack.stack_name:<{width}}  {stack.account}  {stack.region:<14}  {stage}")
    lines.append("  cdk-nag AwsSolutions: passed, 0 unacknowledged findings")
    errors = [f for f in result.lint_findings if f.level == "Error"]
    if result.lint_findings:
        lines.append(
            f"  cfn-lint: FAILED, {len(errors)} errors, "
            f"{len(result.lint_findings) - len(errors)} other findings:"
        )
        lines.extend(f"    {finding}" for finding in result.lint_findings)
    else:
        lines.append(f"  cfn-lint: passed, 0 findings in {len(result.stacks)} templates")
    if result.checkov.failed:
        lines.append(f"  checkov: FAILED, {len(result.checkov.failed)} failed checks:")
        lines.extend(f"    {failed}" for failed in result.checkov.failed)
    else:
        lines.append(f"  checkov: passed, {result.checkov.passed} checks, 0 failed")
    return "\n".join(lines)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPOSITORY_ROOT))
    except ValueError:
        return str(path)
