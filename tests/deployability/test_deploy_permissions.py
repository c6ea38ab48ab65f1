"""Every call CloudFormation makes to create, update and delete each resource of each stage is
allowed by that stage's derived execution policy, evaluated on the resource's own ARN."""

from __future__ import annotations

import copy
import json

import pytest

from shared.bootstrap import (
    MANAGED_POLICY_MAX_CHARACTERS,
    PLATFORM_TYPES,
    PolicyDerivationError,
    deployable_types,
    execution_policies,
    policy_digest,
)
from shared.config import StageName
from shared.deployability.deploy_permissions import CUSTOM_RESOURCE_PREFIX, denied, requirements
from shared.deployability.iam_policy import Request, evaluate


def stage_name(stage) -> StageName:
    return StageName(stage.stacks[0].stack_name.rsplit("-", 1)[1])


def test_every_resource_type_is_one_the_policy_is_derived_for(stage):
    kinds = {r.type for r in stage.resources if not r.type.startswith(CUSTOM_RESOURCE_PREFIX)}
    assert kinds - set(deployable_types()) == set()
    assert "AWS::DynamoDB::GlobalTable" not in PLATFORM_TYPES, "declared by its application"


def test_every_handler_call_is_modelled_and_allowed(stage, platform_config):
    needed, unmodelled = requirements(stage)
    assert unmodelled == []
    policy = execution_policies(platform_config, stage_name(stage))
    missing = sorted({r.describe() for r in denied(policy, needed)})
    assert missing == [], "\n".join(missing)


def test_the_policy_fits_iam_managed_policy_limits(platform_config):
    for stage in StageName:
        documents = execution_policies(platform_config, stage)
        assert 1 <= len(documents) <= 10
        for document in documents:
            compact = json.dumps(document, separators=(",", ":"))
            assert len(compact) <= MANAGED_POLICY_MAX_CHARACTERS
        assert policy_digest(documents) == policy_digest(execution_policies(platform_config, stage))


def calls(needed, action, resource_type=None):
    return [
        r
        for r in needed
        if r.request.action == action
        and (resource_type is None or r.resource_type == resource_type)
    ]


def allowed(platform_config, requirement) -> bool:
    policy = execution_policies(platform_config, StageName.DEV)
    return evaluate(policy, requirement.request).allowed


def test_a_weak_cross_stack_reference_reads_the_referenced_stack(dev_requirements, platform_config):
    reads = calls(dev_requirements, "cloudformation:DescribeStacks")
    assert reads, "the access stack reads the catalog stack's key through Fn::GetStackOutput"
    assert all(allowed(platform_config, r) for r in reads)
    assert all(":stack/glue-infrastructure-catalog-dev/" in r.request.resource for r in reads)


def test_log_groups_are_described_on_every_resource(dev_requirements, platform_config):
    described = calls(dev_requirements, "logs:DescribeLogGroups", "AWS::Logs::LogGroup")
    assert {r.phase for r in described} == {"create", "update", "delete"}
    assert {r.request.resource for r in described} == {"*"}
    assert all(allowed(platform_config, r) for r in described)


def test_teardown_lists_a_managed_policys_entities(dev_requirements, platform_config):
    listed = calls(dev_requirements, "iam:ListEntitiesForPolicy", "AWS::IAM::ManagedPolicy")
    assert listed and all(r.phase == "delete" for r in listed)
    assert all(allowed(platform_config, r) for r in listed)


def test_deleting_the_database_covers_its_tables_and_functions(dev_requirements, platform_config):
    deletes = calls(dev_requirements, "glue:DeleteDatabase")
    resources = {r.request.resource.split(":")[-1] for r in deletes}
    assert resources == {
        "catalog",
        "database/glue_database_v2_dev",
        "table/glue_database_v2_dev/*",
        "userDefinedFunction/glue_database_v2_dev/*",
    }
    assert all(allowed(platform_config, r) for r in deletes)


def test_a_new_key_is_configured_before_its_tags_are_visible(dev_requirements, platform_config):
    rotations = calls(dev_requirements, "kms:EnableKeyRotation", "AWS::KMS::Key")
    created = [r for r in rotations if r.phase == "create"]
    assert created and all("aws:ResourceTag/Project" not in r.request.context for r in created)
    assert all(allowed(platform_config, r) for r in rotations)
    policy = execution_policies(platform_config, StageName.DEV)
    other_project = Request(
        "kms:EnableKeyRotation",
        created[0].request.resource,
        context={"aws:ResourceTag/Project": "someone-else"},
    )
    assert not evaluate(policy, other_project).allowed


@pytest.mark.parametrize(
    "action",
    [
        "kms:ListAliases",
        "application-autoscaling:DescribeScalableTargets",
        "lakeformation:ListResources",
        "lakeformation:DescribeResource",
    ],
)
def test_read_only_calls_of_the_handlers_are_allowed(dev_requirements, platform_config, action):
    found = calls(dev_requirements, action)
    assert found and all(allowed(platform_config, r) for r in found)


def test_a_dropped_statement_names_the_resource_the_action_and_the_grant(
    dev_requirements, platform_config
):
    policy = copy.deepcopy(execution_policies(platform_config, StageName.DEV))
    for document in policy:
        document["Statement"] = [
            s for s in document["Statement"] if "logs:DescribeLogGroups" not in s["Action"]
        ]
    missing = [r.describe() for r in denied(policy, dev_requirements)]
    assert any(
        "glue-infrastructure-catalog-dev/" in line
        and "(AWS::Logs::LogGroup, create): logs:DescribeLogGroups on *" in line
        for line in missing
    ), missing


def test_a_resource_type_the_policy_is_not_derived_for_is_refused(monkeypatch, platform_config):
    from shared import bootstrap  # noqa: PLC0415

    monkeypatch.setattr(bootstrap, "PLATFORM_TYPES", ("AWS::EC2::Instance",))
    with pytest.raises(PolicyDerivationError, match=r"AWS::EC2::Instance: .* acts on"):
        bootstrap.execution_policies(platform_config, StageName.DEV)
