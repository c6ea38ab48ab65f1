"""A stage as CloudFormation sees it: the stacks of both apps that deploy to one account."""

from __future__ import annotations

import pytest

from shared.config import StageName
from shared.deployability.deploy_permissions import Requirement, requirements
from shared.deployability.stage_templates import StageTemplates


def stage_templates(infrastructure, applications, stage: StageName) -> StageTemplates:
    marker = f"/Deploy-{stage.value.capitalize()}/"
    return StageTemplates(
        [
            s
            for app in (infrastructure, applications)
            for s in app.stacks
            if marker in s.construct_path
        ]
    )


@pytest.fixture(scope="session", params=list(StageName), ids=lambda s: s.value)
def stage(request, infrastructure, applications) -> StageTemplates:
    """Each stage in turn: every stack both apps deploy into its account."""
    return stage_templates(infrastructure, applications, request.param)


@pytest.fixture(scope="session")
def dev_stage(infrastructure, applications) -> StageTemplates:
    return stage_templates(infrastructure, applications, StageName.DEV)


@pytest.fixture(scope="session")
def dev_requirements(dev_stage) -> list[Requirement]:
    found, unmodelled = requirements(dev_stage)
    assert unmodelled == []
    return found
