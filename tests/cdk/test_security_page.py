"""docs/security.md is generated from the synthesized templates and is current: every role,
every cdk-nag acknowledgment with its reason, encryption and retention."""

from __future__ import annotations

import pytest

from shared.cli.docs_command import SECURITY_PAGE, SECURITY_STAGE, SHIPPED_CONFIG
from shared.config import load_config
from shared.naming import AppName
from shared.security_reference import StackView, acknowledgments, render


@pytest.fixture
def synthesized_stacks(infrastructure, applications, platform_config):
    if platform_config != load_config(SHIPPED_CONFIG, environ={}):
        pytest.skip("docs/security.md describes the shipped platform.yaml")
    by_app = {AppName.INFRASTRUCTURE: infrastructure, AppName.APPLICATIONS: applications}
    return [stack for app in AppName for stack in by_app[app].stacks]


def test_the_security_page_is_current(synthesized_stacks):
    assert SECURITY_PAGE.read_text(encoding="utf-8") == render(
        synthesized_stacks, SECURITY_STAGE
    ), "docs/security.md is out of date: run `make docs`"


def test_every_role_and_acknowledgment_of_the_stage_is_listed(synthesized_stacks):
    page = SECURITY_PAGE.read_text(encoding="utf-8")
    views = [
        StackView.of(s)
        for s in synthesized_stacks
        if "/" not in s.construct_path or f"/{SECURITY_STAGE}/" in s.construct_path
    ]
    roles = [v.name(lid) for v in views for lid, _ in v.of_type("AWS::IAM::Role")]
    assert roles and all(f"**{role}**" in page for role in roles)
    found = acknowledgments(views)
    assert found and all(len(a.reason) >= 20 and a.reason in page for a in found)
