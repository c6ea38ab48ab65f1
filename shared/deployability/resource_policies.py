"""The resource policies of a stage's templates, as the receiving services evaluate them: a
topic's (or SNS's default), a queue's, a function's (its Permission resources), a key's, a
bucket's; and a role's identity policies, wherever in the stage they are attached."""

from __future__ import annotations

from typing import Any

from shared.deployability.iam_policy import PolicyDocument
from shared.deployability.stage_templates import Resource, StageTemplates


def topic_policies(stage: StageTemplates, topic: Resource) -> tuple[PolicyDocument, ...]:
    """The topic's policy, or SNS's default one (its own account only) when it has none."""
    arn = stage.arn(topic)
    attached = [
        stage.resolve(p.properties["PolicyDocument"], p.stack)
        for p in stage.of_type("AWS::SNS::TopicPolicy")
        if arn in stage.resolve(p.properties.get("Topics", []), p.stack)
    ]
    if attached:
        return tuple(attached)
    default = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": topic.stack.account}},
    }
    return ({"Statement": [default]},)


def queue_policies(stage: StageTemplates, queue: Resource) -> tuple[PolicyDocument, ...]:
    url = stage.ref(queue)
    return tuple(
        stage.resolve(p.properties["PolicyDocument"], p.stack)
        for p in stage.of_type("AWS::SQS::QueuePolicy")
        if url in stage.resolve(p.properties.get("Queues", []), p.stack)
    )


def function_policies(stage: StageTemplates, function: Resource) -> tuple[PolicyDocument, ...]:
    """The function's resource policy, made of its ``AWS::Lambda::Permission`` resources."""
    arn = stage.arn(function)
    statements = []
    for permission in stage.of_type("AWS::Lambda::Permission"):
        properties = stage.resolve(permission.properties, permission.stack)
        target = properties["FunctionName"]
        if arn not in (target, f"{target}") and stage.name(function) != target:
            continue
        condition: dict[str, Any] = {}
        if "SourceArn" in properties:
            condition["ArnLike"] = {"aws:SourceArn": properties["SourceArn"]}
        if "SourceAccount" in properties:
            condition["StringEquals"] = {"aws:SourceAccount": properties["SourceAccount"]}
        kind = "Service" if properties["Principal"].endswith(".amazonaws.com") else "AWS"
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {kind: properties["Principal"]},
                "Action": properties["Action"],
                "Resource": arn,
                **({"Condition": condition} if condition else {}),
            }
        )
    return ({"Statement": statements},)


def key_policy(stage: StageTemplates, key: Resource) -> tuple[PolicyDocument, ...]:
    return (stage.resolve(key.properties["KeyPolicy"], key.stack),)


def role_policy_documents(stage: StageTemplates, role_arn: str) -> tuple[PolicyDocument, ...]:
    """Every identity policy of the role with ``role_arn`` found in the stage's templates:
    inline, attached through ``AWS::IAM::Policy`` and through customer managed policies."""
    role = stage.by_arn.get(role_arn)
    if role is None:
        return ()
    name = stage.name(role)
    documents: list[PolicyDocument] = [
        stage.resolve(p["PolicyDocument"], role.stack) for p in role.properties.get("Policies", [])
    ]
    for policy in stage.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        roles = stage.resolve(policy.properties.get("Roles", []), policy.stack)
        if name in roles or role_arn in roles:
            documents.append(stage.resolve(policy.properties["PolicyDocument"], policy.stack))
    attached = stage.resolve(role.properties.get("ManagedPolicyArns", []), role.stack)
    for arn in attached:
        managed = stage.by_arn.get(arn)
        if managed is not None:
            documents.append(stage.resolve(managed.properties["PolicyDocument"], managed.stack))
    return tuple(documents)


def bucket_policies(stage: StageTemplates, bucket_name: str) -> tuple[PolicyDocument, ...]:
    return tuple(
        stage.resolve(p.properties["PolicyDocument"], p.stack)
        for p in stage.of_type("AWS::S3::BucketPolicy")
        if stage.resolve(p.properties["Bucket"], p.stack) == bucket_name
    )
