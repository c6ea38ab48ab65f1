"""The commands the docs show are the ones the project prints from the real config."""

from __future__ import annotations

from shared.config import REPOSITORY_ROOT, StageName, load_config
from shared.runbook import runbook

DOCS = REPOSITORY_ROOT / "docs"


def test_operations_page_holds_the_runbook_of_the_dev_stage():
    page = (DOCS / "operations.md").read_text()
    missing = [
        command
        for _, command in runbook(load_config(environ={}), StageName.DEV)
        if command not in page
    ]
    assert missing == []
