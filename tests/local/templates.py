"""Small CloudFormation templates for the local runtime's tests: the resources of one
behaviour at a time, with inline Lambda code, deployed by the same walker as the stage."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.assembly import SynthesizedStack
from shared.local.stage_assembly import StageAssembly

ACCOUNT, REGION = "222222222222", "us-east-1"
ASSUME_LAMBDA = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
RETURNS_EVENT = "def handler(event, context):\n    return {'received': event}\n"
RAISES = "def handler(event, context):\n    raise RuntimeError('boom')\n"


def assembly(tmp_path: Path, *templates: Mapping[str, Any]) -> StageAssembly:
    """The templates as a stage's stacks (``stack-0``, ``stack-1``, ...), in that order."""
    stacks = []
    for index, template in enumerate(templates):
        path = tmp_path / f"Stack{index}.template.json"
        path.write_text(json.dumps(template), encoding="utf-8")
        stacks.append(SynthesizedStack(f"stack-{index}", f"Stack{index}", ACCOUNT, REGION, path))
    return StageAssembly(stacks, [])


def template(**resources: Mapping[str, Any]) -> dict[str, Any]:
    return {"Resources": dict(resources)}


def role() -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": ASSUME_LAMBDA}}


def function(source: str, role_id: str = "Role", **properties: Any) -> dict[str, Any]:
    """A Python function with inline code (``index.handler``)."""
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {"ZipFile": source},
            "Handler": "index.handler",
            "Runtime": "python3.13",
            "Role": {"Fn::GetAtt": [role_id, "Arn"]},
            **properties,
        },
    }


def bucket(name: str, **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name, **properties}}


def eventbridge_bucket(name: str) -> dict[str, Any]:
    return bucket(
        name, NotificationConfiguration={"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    )


def rule(pattern: Mapping[str, Any], target: str, **target_properties: Any) -> dict[str, Any]:
    """A rule on the default bus sending what matches to function ``target``."""
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": pattern,
            "State": "ENABLED",
            "Targets": [
                {"Arn": {"Fn::GetAtt": [target, "Arn"]}, "Id": "Target0", **target_properties}
            ],
        },
    }


def events_permission(function_id: str, rule_id: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
        },
    }


def queue(name: str, **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, **properties}}


def object_rule_pattern(bucket_name: str, key_filter: Any) -> dict[str, Any]:
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket_name]}, "object": {"key": key_filter}},
    }
