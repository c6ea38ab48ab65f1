"""The commands the docs show are the ones the project prints from the real config."""

from __future__ import annotations

import pytest

from shared.cli.bootstrap_commands import (
    deployment_commands,
    promotion_commands,
    rollback_commands,
    teardown_commands,
)
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


@pytest.mark.parametrize(
    "printer", [deployment_commands, promotion_commands, rollback_commands, teardown_commands]
)
def test_deployment_page_holds_the_printed_commands_of_the_shipped_config(printer):
    page = (DOCS / "deployment.md").read_text()
    printed = [line for line in printer(load_config(environ={})).splitlines() if line.strip()]
    missing = [line for line in printed if line not in page]
    assert printed and missing == []


def test_readme_commands_are_the_printed_ones():
    readme = (REPOSITORY_ROOT / "README.md").read_text()
    first_deploy = deployment_commands(load_config(environ={})).splitlines()[-1]
    assert first_deploy in readme
