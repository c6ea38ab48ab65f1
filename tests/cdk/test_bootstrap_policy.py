"""The scoped execution policy covers every resource the stage stacks create, by service and
by name, so a stage bootstrapped with it can deploy."""

from __future__ import annotations

import fnmatch

import pytest

from shared.bootstrap import RESOURCE_SERVICES, execution_policy
from shared.config import StageName

# Properties that hold a resource's physical name, with the policy resource they must match.
NAME_PROPERTIES = {
    ("AWS::S3::Bucket", "BucketName"): "arn:aws:s3:::{}",
    ("AWS::IAM::Role", "RoleName"): "arn:aws:iam::{account}:role/{}",
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"): "arn:aws:iam::{account}:policy/{}",
    ("AWS::KMS::Alias", "AliasName"): "arn:aws:kms:{region}:{account}:{}",
    ("AWS::Lambda::Function", "FunctionName"): "arn:aws:lambda:{region}:{account}:function:{}",
    ("AWS::SQS::Queue", "QueueName"): "arn:aws:sqs:{region}:{account}:{}",
    ("AWS::SNS::Topic", "TopicName"): "arn:aws:sns:{region}:{account}:{}",
    ("AWS::Glue::Job", "Name"): "arn:aws:glue:{region}:{account}:job/{}",
    ("AWS::DynamoDB::GlobalTable", "TableName"): "arn:aws:dynamodb:{region}:{account}:table/{}",
}


def allowed_resources(policy: dict, service: str) -> list[str]:
    resources: list[str] = []
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if any(a.split(":")[0] == service for a in actions):
            found = statement["Resource"]
            resources += found if isinstance(found, list) else [found]
    return resources


@pytest.mark.parametrize("stage", list(StageName))
def test_policy_covers_every_resource_of_the_stage_stacks(every_app, stage):
    policy = execution_policy(every_app.config, stage)
    stage_stacks = [
        s for s in every_app.stacks if f"/Deploy-{stage.value.capitalize()}/" in s.construct_path
    ]
    assert stage_stacks
    for stack in stage_stacks:
        for logical_id, resource in stack.template["Resources"].items():
            kind = resource["Type"]
            if kind.startswith("Custom::"):
                continue
            namespace = "::".join(kind.split("::")[:2])
            assert namespace in RESOURCE_SERVICES, f"{stack.stack_name}/{logical_id}: {kind}"
            service = RESOURCE_SERVICES[namespace]
            for (name_type, prop), pattern in NAME_PROPERTIES.items():
                name = resource.get("Properties", {}).get(prop)
                if kind != name_type or not isinstance(name, str):
                    continue
                arn = pattern.format(name, account=stack.account, region=stack.region)
                assert any(
                    fnmatch.fnmatchcase(arn, allowed)
                    for allowed in allowed_resources(policy, service)
                ), f"{arn} is outside the {stage} execution policy"
