"""Every policy of every template: no ``*`` action on a data service, and ``Resource: *`` only
where the service offers nothing narrower, each such case listed here with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Services that hold or move data: never a service-wide action on them.
DATA_SERVICES = ("s3", "glue", "dynamodb", "sqs", "sns", "kinesis", "athena", "lakeformation")

# Statements allowed on every resource, by their exact set of actions, with the reason.
WILDCARD_RESOURCE_ALLOWED = {
    frozenset({"cloudwatch:PutMetricData"}): (
        "PutMetricData has no resource-level permissions; the statement is limited by the "
        "cloudwatch:namespace condition to Glue's namespace."
    ),
    frozenset({"cloudformation:DescribeStacks", "s3:ListBucket"}): (
        "Written by CDK Pipelines for self-mutation, which reads the state of the stacks it "
        "deploys and the buckets of their assets before it knows their names."
    ),
    frozenset({"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"}): (
        "Written by CDK Pipelines for the asset-publishing project, whose builds are started "
        "by the pipeline itself."
    ),
    frozenset(
        {
            "logs:CreateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:GetLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:UpdateLogDelivery",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "xray:PutTelemetryRecords",
            "xray:PutTraceSegments",
        }
    ): (
        "Written by CDK for a state machine that logs and traces: Step Functions' log "
        "delivery and X-Ray calls take no resource (AWS documents them on `*`)."
    ),
}
POLICY_PROPERTIES = {
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def allow_statements(synthesized) -> Iterator[tuple[str, str, dict]]:
    """(where, resource type, statement) of every Allow statement of every policy."""
    for stack in synthesized.stacks:
        for logical_id, resource in stack.template["Resources"].items():
            properties = resource.get("Properties", {})
            documents = []
            if resource["Type"] in POLICY_PROPERTIES:
                documents.append(properties.get(POLICY_PROPERTIES[resource["Type"]], {}))
            if resource["Type"] == "AWS::IAM::Role":
                documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
            for document in documents:
                for statement in document.get("Statement", []):
                    if statement.get("Effect") == "Allow":
                        yield f"{stack.stack_name}/{logical_id}", resource["Type"], statement


def is_root_of_this_account(statement: dict) -> bool:
    principal = str(statement.get("Principal", {}).get("AWS", ""))
    return principal.endswith(":root")


def data_service_wildcards(synthesized) -> list[str]:
    found = []
    for where, _, statement in allow_statements(synthesized):
        for action in as_list(statement.get("Action", [])):
            if action == "*" or action in {f"{service}:*" for service in DATA_SERVICES}:
                found.append(f"{where}: {action}")
    return found


def unlisted_wildcard_resources(synthesized) -> list[str]:
    unlisted = []
    for where, kind, statement in allow_statements(synthesized):
        if "*" not in as_list(statement.get("Resource", [])):
            continue
        if kind == "AWS::KMS::Key":
            continue  # in a key policy, "*" is the key itself
        actions = frozenset(as_list(statement["Action"]))
        if actions not in WILDCARD_RESOURCE_ALLOWED:
            unlisted.append(f"{where}: {sorted(actions)}")
    return unlisted


def test_no_service_wide_action_on_a_data_service(every_app):
    assert data_service_wildcards(every_app) == []


def test_kms_wildcard_actions_only_for_key_administration_by_the_account(every_app):
    for where, kind, statement in allow_statements(every_app):
        if "kms:*" in as_list(statement.get("Action", [])):
            assert kind == "AWS::KMS::Key" and is_root_of_this_account(statement), where


def test_wildcard_resources_only_where_listed_with_a_reason(every_app):
    assert unlisted_wildcard_resources(every_app) == []


def test_the_walk_sees_the_platform_policies(every_app):
    assert sum(1 for _ in allow_statements(every_app)) > 20


@dataclass
class PlantedStack:
    stack_name: str
    template: dict


@dataclass
class Planted:
    stacks: list[PlantedStack]


def test_the_checks_find_what_they_look_for():
    statement = {"Effect": "Allow", "Action": ["s3:*", "sqs:SendMessage"], "Resource": "*"}
    planted = Planted(
        [
            PlantedStack(
                "careless",
                {
                    "Resources": {
                        "Policy": {
                            "Type": "AWS::IAM::Policy",
                            "Properties": {"PolicyDocument": {"Statement": [statement]}},
                        }
                    }
                },
            )
        ]
    )
    assert data_service_wildcards(planted) == ["careless/Policy: s3:*"]
    assert unlisted_wildcard_resources(planted) == ["careless/Policy: ['s3:*', 'sqs:SendMessage']"]
