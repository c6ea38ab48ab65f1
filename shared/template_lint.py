"""The template gates after cdk-nag: cfn-lint (rules in .cfnlintrc.yaml) and checkov (in its own
environment, checks in .checkov.yaml)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.config import REPOSITORY_ROOT
from shared.errors import PlatformError

CHECKOV = REPOSITORY_ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_CONFIG = REPOSITORY_ROOT / ".checkov.yaml"


@dataclass(frozen=True)
class LintFinding:
    """One cfn-lint match, as one readable line."""

    rule: str
    level: str
    message: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule} {self.message}"


def lint_templates(templates: Sequence[Path]) -> list[LintFinding]:
    """Lint ``templates``; returns every finding not ignored by ``.cfnlintrc.yaml``."""
    if not templates:
        return []
    executable = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(executable), "--format", "json", "--", *(str(t) for t in templates)],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 and not result.stdout.strip():
        raise RuntimeError(f"cfn-lint could not run: {result.stderr.strip()}")
    return [
        LintFinding(
            rule=match["Rule"]["Id"],
            level=match["Level"],
            message=match["Message"],
            file=match["Filename"],
            line=match["Location"]["Start"]["LineNumber"],
        )
        for match in json.loads(result.stdout or "[]")
    ]


@dataclass(frozen=True)
class CheckovResult:
    """What checkov found in one cloud assembly."""

    passed: int
    failed: list[str]


def run_checkov(outdir: Path) -> CheckovResult:
    """checkov over every template under ``outdir``.

    Raises:
        PlatformError: when checkov's environment is missing or checkov cannot run.
    """
    if not CHECKOV.is_file():
        raise PlatformError(f"checkov is not installed in {CHECKOV.parent.parent}: run make setup")
    result = subprocess.run(
        [str(CHECKOV), "-d", str(outdir), "--config-file", str(CHECKOV_CONFIG), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise PlatformError(f"checkov could not run: {result.stderr.strip()[-500:]}") from None
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    return CheckovResult(passed=passed, failed=failed)
