"""``gdp docs`` and ``gdp diagrams``: regenerate what docs/ holds that is generated from the
code (the configuration reference from the config model; the security page and the
diagrams from the synthesized templates of the shipped platform.yaml)."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shared.assembly import SynthesizedStack
from shared.config import REPOSITORY_ROOT, StageName, load_config
from shared.config.reference import render as render_configuration
from shared.diagrams import draw_all
from shared.errors import PlatformError
from shared.naming import AppName, PipelineNaming
from shared.security_reference import render as render_security
from shared.synthesis import synthesize_assembly

DOCS = REPOSITORY_ROOT / "docs"
CONFIGURATION_PAGE = DOCS / "configuration.md"
SECURITY_PAGE = DOCS / "security.md"
DIAGRAMS = DOCS / "diagrams"
SHIPPED_CONFIG = REPOSITORY_ROOT / "platform.yaml"
# The stage the security page shows (prod differs only in names and account).
SECURITY_STAGE = PipelineNaming(AppName.INFRASTRUCTURE).stage_id(StageName.DEV)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp docs`` and ``gdp diagrams``."""
    docs = subparsers.add_parser(
        "docs", help="regenerate docs/configuration.md and docs/security.md from the code"
    )
    docs.set_defaults(handler=run_docs)
    diagrams = subparsers.add_parser(
        "diagrams", help="draw docs/diagrams/*.png from the synthesized templates (Graphviz)"
    )
    diagrams.set_defaults(handler=run_diagrams)


def run_docs(_: argparse.Namespace) -> int:
    """Write both pages; print what was written."""
    config = load_config(SHIPPED_CONFIG, environ={})
    _write(CONFIGURATION_PAGE, render_configuration(config))
    with tempfile.TemporaryDirectory(prefix="gdp-docs-") as work:
        stacks = synthesized(Path(work))
        page = render_security([s for app in AppName for s in stacks[app]], SECURITY_STAGE)
    _write(SECURITY_PAGE, page)
    return 0


def run_diagrams(_: argparse.Namespace) -> int:
    """Draw the diagrams; print their paths."""
    if shutil.which("dot") is None:
        raise PlatformError(
            "Graphviz's dot is missing: `sudo apt-get install graphviz` (Debian, Ubuntu) or "
            "`brew install graphviz` (macOS); `make diagrams` installs it with apt"
        )
    config = load_config(SHIPPED_CONFIG, environ={})
    with tempfile.TemporaryDirectory(prefix="gdp-diagrams-") as work:
        for path in draw_all(config, synthesized(Path(work)), DIAGRAMS):
            print(f"wrote {path.relative_to(REPOSITORY_ROOT)}")
    return 0


def synthesized(work: Path) -> dict[AppName, Sequence[SynthesizedStack]]:
    """Both apps synthesized from the shipped config into ``work``."""
    return {
        app: synthesize_assembly(app, work / app.value, config_path=str(SHIPPED_CONFIG))
        for app in AppName
    }


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.relative_to(REPOSITORY_ROOT)}")
