"""The applications pipeline stops, with a reason, while a stage's infrastructure is older than
the contract version the applications need."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from shared.config import StageName
from shared.infrastructure_contract import (
    CONTRACT_OUTPUT,
    CONTRACT_VERSION,
    InfrastructureBehindError,
    check,
    publishing_stack,
)
from shared.naming import StageNaming


def deploy_access_stack(cloudformation, naming: StageNaming, version: int | None) -> None:
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {CONTRACT_OUTPUT: {"Value": str(version)}} if version is not None else {},
    }
    cloudformation.create_stack(
        StackName=publishing_stack(naming), TemplateBody=json.dumps(template)
    )


@pytest.fixture
def naming(platform_config) -> StageNaming:
    return StageNaming.of(platform_config, StageName.DEV)


@pytest.fixture
def cloudformation(naming):
    with mock_aws():
        yield boto3.client("cloudformation", region_name=naming.region)


def test_a_current_infrastructure_passes(cloudformation, naming):
    deploy_access_stack(cloudformation, naming, CONTRACT_VERSION)
    assert check(cloudformation, naming) == CONTRACT_VERSION


def test_an_older_infrastructure_stops_the_stage_with_what_to_do(cloudformation, naming):
    deploy_access_stack(cloudformation, naming, CONTRACT_VERSION - 1)
    with pytest.raises(InfrastructureBehindError) as raised:
        check(cloudformation, naming)
    message = str(raised.value)
    assert f"contract version {CONTRACT_VERSION - 1}" in message
    assert f"need {CONTRACT_VERSION}" in message
    assert "infrastructure pipeline's dev stage first" in message
    assert "\n" not in message


def test_an_infrastructure_without_a_version_or_stack_stops_the_stage(cloudformation, naming):
    with pytest.raises(InfrastructureBehindError, match="not found"):
        check(cloudformation, naming)
    deploy_access_stack(cloudformation, naming, None)
    with pytest.raises(InfrastructureBehindError, match="contract version 0"):
        check(cloudformation, naming)
