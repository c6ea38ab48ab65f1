"""Synthesizes the CDK apps exactly as the CDK CLI would (``python app.py`` into ``cdk.out``)
and reports the compliance gates: cdk-nag (inside synth), cfn-lint and checkov (over the
templates)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from shared.assembly import SynthesizedStack, stacks
from shared.config import CONFIG_ENV_VAR, REPOSITORY_ROOT
from shared.errors import PlatformError
from shared.naming import AppName
from shared.template_lint import CheckovResult, LintFinding, lint_templates, run_checkov

APP_ENTRY_POINT = "app.py"
ASSEMBLY_DIR = "cdk.out"
VALIDATION_REPORT = "validation-report.json"
STDERR_LINES_SHOWN = 20


class SynthError(PlatformError):
    """An app did not synthesize: config problems, cdk-nag findings or a CDK error."""


@dataclass(frozen=True)
class SynthResult:
    """What one app's synth produced and how its templates fared under cfn-lint."""

    app: AppName
    outdir: Path
    stacks: list[SynthesizedStack]
    lint_findings: list[LintFinding]
    checkov: CheckovResult


def available_apps() -> list[AppName]:
    """The apps of this repository that have an entry point."""
    return [app for app in AppName if (REPOSITORY_ROOT / app.folder / APP_ENTRY_POINT).is_file()]


def synthesize(
    app: AppName, *, config_path: str | None = None, outdir: Path | None = None
) -> SynthResult:
    """Synthesize ``app`` into ``outdir`` (default ``<app folder>/cdk.out``) and lint its
    templates.

    Raises:
        SynthError: naming every unacknowledged cdk-nag finding, or the error CDK reported.
    """
    outdir = outdir or REPOSITORY_ROOT / app.folder / ASSEMBLY_DIR
    synthesized = synthesize_assembly(app, outdir, config_path=config_path)
    findings = lint_templates([stack.template_file for stack in synthesized])
    return SynthResult(
        app=app,
        outdir=outdir,
        stacks=synthesized,
        lint_findings=findings,
        checkov=run_checkov(outdir),
    )


def synthesize_assembly(
    app: AppName, outdir: Path, *, config_path: str | None = None
) -> list[SynthesizedStack]:
    """Run the app's entry point as the CDK CLI does, into ``outdir``; its stacks.

    Raises:
        SynthError: as ``synthesize``.
    """
    shutil.rmtree(outdir, ignore_errors=True)
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
        ),
    }
    if config_path:
        env[CONFIG_ENV_VAR] = str(Path(config_path).resolve())
    process = subprocess.run(
        [sys.executable, APP_ENTRY_POINT],
        cwd=REPOSITORY_ROOT / app.folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        raise SynthError(_explain_failure(app, outdir, process.stderr))
    return stacks(outdir)


def nag_violations(report_file: Path) -> list[str]:
    """``rule  construct-path`` for every unacknowledged finding in a validation report."""
    if not report_file.is_file():
        return []
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return [
        f"{violation['ruleName']}  {construct['constructPath']}"
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def _explain_failure(app: AppName, outdir: Path, stderr: str) -> str:
    violations = nag_violations(outdir / VALIDATION_REPORT)
    if violations:
        listing = "\n".join(f"  {line}" for line in violations)
        return (
            f"{app.folder}: cdk-nag found {len(violations)} unacknowledged "
            f"finding{'s' if len(violations) != 1 else ''}:\n{listing}"
        )
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    tail = "\n".join(f"  {line}" for line in lines[-STDERR_LINES_SHOWN:])
    return f"{app.folder}: synth failed:\n{tail}"
