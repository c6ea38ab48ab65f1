"""cfn-lint over synthesized templates, with the rules the repository's .cfnlintrc.yaml sets."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.config import REPOSITORY_ROOT


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
