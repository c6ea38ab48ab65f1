"""Resources are created after what they refer to, and every intrinsic function of the
templates resolves to what was created."""

from __future__ import annotations

import pytest

from shared.local.template_walker import (
    Created,
    DeployedTemplates,
    LocalDeployError,
    deployment_order,
)
from tests.local.templates import assembly, template


def test_each_resource_comes_after_what_it_refers_to():
    resources = {
        "Policy": {"Properties": {"Roles": [{"Ref": "Role"}]}},
        "Function": {
            "DependsOn": "Policy",
            "Properties": {
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Description": {"Fn::Sub": "reads ${Bucket} as ${Role.Arn} in ${AWS::Region}"},
            },
        },
        "Role": {"Properties": {}},
        "Bucket": {"Properties": {}},
    }
    order = deployment_order(resources)
    assert order.index("Role") < order.index("Policy") < order.index("Function")
    assert order.index("Bucket") < order.index("Function")
    assert sorted(order) == sorted(resources)


def test_a_cycle_is_named():
    resources = {
        "A": {"Properties": {"x": {"Ref": "B"}}},
        "B": {"Properties": {"x": {"Fn::GetAtt": ["A", "Arn"]}}},
    }
    with pytest.raises(LocalDeployError, match="dependency cycle: A -> B -> A"):
        deployment_order(resources)


def test_intrinsic_functions_resolve_to_what_was_created(tmp_path):
    producer = template(Key={"Type": "AWS::KMS::Key", "Properties": {}})
    producer["Outputs"] = {"KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}}
    value = {
        "joined": {"Fn::Join": ["/", [{"Ref": "AWS::AccountId"}, {"Ref": "Key"}]]},
        "sub": {"Fn::Sub": ["${Name}-${AWS::Region}-${Key.Arn}", {"Name": "x"}]},
        "selected": {"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]},
    }
    read = {
        "Fn::GetStackOutput": {
            "StackName": "stack-0",
            "Region": "us-east-1",
            "OutputName": "KeyArn",
        }
    }
    consumer = template(Thing={"Type": "AWS::SQS::Queue", "Properties": {"Tags": read}})
    stage = assembly(tmp_path, producer, consumer)
    templates = DeployedTemplates(stage.stacks)
    [key] = templates.of_type("AWS::KMS::Key")
    arn = "arn:aws:kms:us-east-1:222222222222:key/key-1"
    templates.record(key, Created("key-1", {"Arn": arn}))
    assert templates.resolve(value, stage.stacks[0]) == {
        "joined": "222222222222/key-1",
        "sub": f"x-us-east-1-{arn}",
        "selected": "b",
    }
    assert templates.resolve(read, stage.stacks[1]) == arn


def test_a_reference_to_a_resource_not_created_yet_is_an_error(tmp_path):
    stage = assembly(tmp_path, template(Key={"Type": "AWS::KMS::Key", "Properties": {}}))
    templates = DeployedTemplates(stage.stacks)
    with pytest.raises(LocalDeployError, match="stack-0/Key is referred to before it is created"):
        templates.resolve({"Ref": "Key"}, stage.stacks[0])
