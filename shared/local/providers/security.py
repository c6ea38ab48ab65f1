"""Providers of IAM roles and policies, KMS keys and aliases, and log groups."""

from __future__ import annotations

from typing import Any

from shared.deployability.stage_templates import Resource
from shared.local.providers.base import DeployContext, Properties, as_json
from shared.local.template_walker import Created


def role(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    iam = ctx.client("iam")
    name = ctx.name(resource)
    arguments = {
        "RoleName": name,
        "AssumeRolePolicyDocument": as_json(props["AssumeRolePolicyDocument"]),
        "Path": props.get("Path", "/"),
    }
    for key in ("Description", "MaxSessionDuration", "PermissionsBoundary"):
        if (value := props.get(key)) is not None:
            arguments[key] = value
    if tags := props.tag_list():
        arguments["Tags"] = tags
    created = iam.create_role(**arguments)["Role"]
    for policy_arn in props.get("ManagedPolicyArns", []):
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=as_json(policy["PolicyDocument"]),
        )
    return Created(name, {"Arn": created["Arn"], "RoleId": created["RoleId"]})


def inline_policy(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    iam = ctx.client("iam")
    name, document = props["PolicyName"], as_json(props["PolicyDocument"])
    for role_name in props.get("Roles", []):
        iam.put_role_policy(RoleName=role_name, PolicyName=name, PolicyDocument=document)
    for user in props.get("Users", []):
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
    for group in props.get("Groups", []):
        iam.put_group_policy(GroupName=group, PolicyName=name, PolicyDocument=document)
    return Created(ctx.name(resource))


def managed_policy(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    iam = ctx.client("iam")
    arguments = {
        "PolicyName": ctx.name(resource),
        "PolicyDocument": as_json(props["PolicyDocument"]),
        "Path": props.get("Path", "/"),
    }
    if description := props.get("Description"):
        arguments["Description"] = description
    arn = iam.create_policy(**arguments)["Policy"]["Arn"]
    for role_name in props.get("Roles", []):
        iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    for user in props.get("Users", []):
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    for group in props.get("Groups", []):
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    return Created(arn, {"PolicyArn": arn})


def key(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    kms = ctx.client("kms")
    arguments: dict[str, Any] = {}
    if "KeyPolicy" in props:
        arguments["Policy"] = as_json(props["KeyPolicy"])
    for name in ("Description", "KeyUsage", "KeySpec", "MultiRegion"):
        if (value := props.get(name)) is not None:
            arguments[name] = value
    if tags := props.tags():
        arguments["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in tags.items()]
    metadata = kms.create_key(**arguments)["KeyMetadata"]
    if props.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    if props.get("Enabled") is False:
        kms.disable_key(KeyId=metadata["KeyId"])
    props.only_at_deletion("PendingWindowInDays")
    return Created(metadata["KeyId"], {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]})


def alias(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = props["AliasName"]
    ctx.client("kms").create_alias(AliasName=name, TargetKeyId=props["TargetKeyId"])
    return Created(name)


def log_group(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    logs = ctx.client("logs")
    name = ctx.name(resource)
    arguments: dict[str, Any] = {"logGroupName": name}
    if kms_key := props.get("KmsKeyId"):
        arguments["kmsKeyId"] = kms_key
    if tags := props.tags():
        arguments["tags"] = tags
    logs.create_log_group(**arguments)
    if days := props.get("RetentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    return Created(name, {"Arn": ctx.arn("logs", f"log-group:{name}:*")})
