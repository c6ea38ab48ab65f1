"""Every call CloudFormation makes to deploy a stage, as IAM requests on concrete ARNs, and the
check of those requests against the stage's execution policy.

A resource contributes its provider's handler permissions for create, update and delete; the
templates contribute what CDK adds around them: ``Fn::GetStackOutput`` (DescribeStacks on the
stack read), custom resources (InvokeFunction of their provider) and the bootstrap version
parameter (GetParameters).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from shared.deployability.deploy_model import RELATED, feature_of, required_types
from shared.deployability.iam_policy import ContextValue, PolicyDocument, Request, evaluate
from shared.deployability.service_reference import (
    PHASES,
    ResourceType,
    action_resource_types,
    handler_permissions,
    is_iam_action,
    resource_type,
)
from shared.deployability.stage_templates import Resource, StageTemplates, values_at
from shared.naming import partition

CUSTOM_RESOURCE_PREFIX = "Custom::"
SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value"


@dataclass(frozen=True)
class Requirement:
    """One call a deployment makes: who needs it (resource, phase) and the request."""

    path: str
    resource_type: str
    phase: str
    request: Request

    def describe(self) -> str:
        return (
            f"{self.path} ({self.resource_type}, {self.phase}): {self.request.action} on "
            f"{self.request.resource}"
        )


def requirements(stage: StageTemplates) -> tuple[list[Requirement], list[str]]:
    """The requests a deployment, update and teardown of ``stage`` make, and the calls that
    could not be modelled (each says which table to extend)."""
    found: list[Requirement] = []
    unmodelled: list[str] = []
    for resource in stage.resources:
        if resource.type.startswith(CUSTOM_RESOURCE_PREFIX):
            found += _custom_resource(stage, resource)
            continue
        permissions = handler_permissions(resource.type)
        for phase in PHASES:
            for action in dict.fromkeys(permissions[phase]):
                if not is_iam_action(action):
                    continue
                feature = feature_of(resource.type, action)
                if feature is not None and not feature.in_use(resource.properties):
                    continue
                for arn in _arns(stage, resource, action, unmodelled):
                    context = _context(stage, resource, phase, action, arn)
                    found.append(
                        Requirement(
                            resource.path,
                            resource.type,
                            phase,
                            Request(action, arn, context=context),
                        )
                    )
    found += _stack_reads(stage)
    found += _parameters(stage)
    return found, sorted(set(unmodelled))


def denied(policy: Sequence[PolicyDocument], needed: Sequence[Requirement]) -> list[Requirement]:
    """The requirements ``policy`` does not allow."""
    return [r for r in needed if not evaluate(policy, r.request).allowed]


def _arns(
    stage: StageTemplates, resource: Resource, action: str, unmodelled: list[str]
) -> Iterator[str]:
    service = action.split(":", 1)[0]
    types = action_resource_types(action)
    required = required_types(resource.type, action)
    if not required:
        optional = [
            _arns_of_type(stage, resource, service, key, required=False) for key, _ in types
        ]
        resolved = [arn for found in optional if found for arn in found]
        yield from resolved or ["*"]
        return
    for key in required:
        arns = _arns_of_type(stage, resource, service, key)
        if arns is None:
            unmodelled.append(
                f"{resource.type}: {action} acts on {service}:{key}; name the property that "
                "holds it in shared/deployability/deploy_model.py RELATED (or the feature "
                "that calls it in FEATURES)"
            )
            continue
        yield from arns


def _arns_of_type(
    stage: StageTemplates, resource: Resource, service: str, key: str, *, required: bool = True
) -> list[str] | None:
    """The ARNs of type ``service:key`` a call by ``resource``'s handler acts on: its own,
    its children (a bucket's objects, a database's tables), or the related resources its
    properties name. An optional type counts only as the resource itself, a child under its
    own ARN, or a related resource."""
    kind = resource.kind
    stack = resource.stack
    where = (partition(stack.region), stack.region, stack.account)
    target = resource_type(service, key)
    if kind and kind.service == service and kind.resource_type == key:
        return [stage.arn(resource)]
    if not target.name_placeholders:
        return [target.arn(*where)] if required else None
    if kind and kind.service == service and kind.resource_type:
        own = resource_type(service, kind.resource_type)
        same_parent = own.name_placeholders[:1] == target.name_placeholders[:1]
        beneath = target.arn_format.startswith(own.arn_format)
        if same_parent and (required or beneath):
            return [target.arn(*where, stage.name(resource).removeprefix("alias/"))]
    related = RELATED.get((resource.type, f"{service}:{key}"))
    if related is None:
        return None
    values = [stage.resolve(v, stack) for v in values_at(resource.properties, related.path)]
    if service == "s3" and key == "object":
        return [target.arn(*where, v["S3Bucket"], v["S3Key"]) for v in values]
    return [
        v if str(v).startswith("arn:") else _arn_from_name(target, where, str(v)) for v in values
    ]


def _arn_from_name(target: ResourceType, where: tuple[str, str, str], name: str) -> str:
    if target.service == "sqs" and name.startswith("https://"):
        name = name.rsplit("/", 1)[1]
    if target.service == "s3" and name.startswith("s3://"):
        name = name.removeprefix("s3://").split("/", 1)[0]
    return target.arn(*where, name)


def _context(
    stage: StageTemplates, resource: Resource, phase: str, action: str, arn: str
) -> Mapping[str, ContextValue]:
    """Tags as authorization sees them: a new resource's tags only as request tags (a create
    handler's later calls on it run before its tags are visible), an existing one's as
    resource tags; a related resource's own tags."""
    owner = resource if arn == "*" else stage.by_arn.get(arn)
    if owner is None:
        return {}
    tags = owner.tags()
    if owner.path == resource.path and phase == "create":
        request_tags: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
        return {**request_tags, "aws:TagKeys": list(tags)}
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


def _custom_resource(stage: StageTemplates, resource: Resource) -> list[Requirement]:
    token = stage.resolve(resource.properties["ServiceToken"], resource.stack)
    return [
        Requirement(resource.path, resource.type, phase, Request("lambda:InvokeFunction", token))
        for phase in PHASES
    ]


def _stack_reads(stage: StageTemplates) -> list[Requirement]:
    reads = []
    for read in stage.stack_reads():
        stack = resource_type("cloudformation", "stack")
        arn = stack.arn(
            partition(read.region), read.region, read.account, read.stack_name, str(uuid.uuid4())
        )
        reads.append(
            Requirement(
                f"{read.reader.stack_name}/Fn::GetStackOutput",
                "Fn::GetStackOutput",
                "create",
                Request("cloudformation:DescribeStacks", arn),
            )
        )
    return reads


def _parameters(stage: StageTemplates) -> list[Requirement]:
    found = []
    parameter = resource_type("ssm", "parameter")
    for stack in stage.stacks:
        for name, body in stage.templates[stack.stack_name].get("Parameters", {}).items():
            if not str(body.get("Type", "")).startswith(SSM_PARAMETER_TYPE):
                continue
            arn = parameter.arn(
                partition(stack.region), stack.region, stack.account, body["Default"].lstrip("/")
            )
            found.append(
                Requirement(
                    f"{stack.stack_name}/{name}",
                    "Parameter",
                    "create",
                    Request("ssm:GetParameters", arn),
                )
            )
    return found
