"""The synthesized templates of one stage account, read as CloudFormation would deploy them:
each resource's physical name and ARN, and intrinsic functions resolved to strings."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from shared.assembly import SynthesizedStack
from shared.deployability.service_reference import resource_type
from shared.naming import partition


@dataclass(frozen=True)
class Kind:
    """How CloudFormation names one resource type and what IAM calls it.

    Attributes:
        service: the IAM service of the resource's own ARN (None: the type has none).
        resource_type: its IAM resource type key.
        name: the property path of its physical name (None: it has no name, like a KMS key).
        ref: what ``Ref`` returns: ``name``, ``arn``, ``url`` (SQS) or ``id`` (KMS).
        max_name: the longest name CloudFormation generates for it.
    """

    service: str | None
    resource_type: str | None
    name: str | None
    ref: str = "name"
    max_name: int = 64


KINDS: dict[str, Kind] = {
    "AWS::S3::Bucket": Kind("s3", "bucket", "BucketName", max_name=63),
    "AWS::IAM::Role": Kind("iam", "role", "RoleName"),
    "AWS::IAM::ManagedPolicy": Kind("iam", "policy", "ManagedPolicyName", ref="arn", max_name=128),
    "AWS::IAM::Policy": Kind(None, None, "PolicyName"),
    "AWS::Lambda::Function": Kind("lambda", "function", "FunctionName"),
    "AWS::Lambda::LayerVersion": Kind("lambda", "layerversion", "LayerName", ref="arn"),
    "AWS::Lambda::EventSourceMapping": Kind("lambda", "eventsourcemapping", None, ref="id"),
    "AWS::Glue::Database": Kind("glue", "database", "DatabaseInput.Name"),
    "AWS::Glue::Job": Kind("glue", "job", "Name"),
    "AWS::Glue::SecurityConfiguration": Kind(None, None, "Name"),
    "AWS::KMS::Key": Kind("kms", "key", None, ref="id"),
    "AWS::KMS::Alias": Kind("kms", "alias", "AliasName"),
    "AWS::Logs::LogGroup": Kind("logs", "log-group", "LogGroupName", max_name=512),
    "AWS::SQS::Queue": Kind("sqs", "queue", "QueueName", ref="url", max_name=80),
    "AWS::SNS::Topic": Kind("sns", "topic", "TopicName", ref="arn", max_name=256),
    "AWS::DynamoDB::GlobalTable": Kind("dynamodb", "table", "TableName", max_name=255),
    "AWS::DynamoDB::Table": Kind("dynamodb", "table", "TableName", max_name=255),
    "AWS::Scheduler::Schedule": Kind("scheduler", "schedule", "Name"),
    "AWS::Scheduler::ScheduleGroup": Kind("scheduler", "schedule-group", "Name"),
    "AWS::Events::Rule": Kind("events", "rule-on-default-event-bus", "Name"),
    "AWS::CloudWatch::Alarm": Kind("cloudwatch", "alarm", "AlarmName", max_name=255),
    "AWS::CloudWatch::Dashboard": Kind("cloudwatch", "dashboard", "DashboardName"),
    "AWS::CloudTrail::Trail": Kind("cloudtrail", "trail", "TrailName", max_name=128),
    "AWS::StepFunctions::StateMachine": Kind(
        "states", "statemachine", "StateMachineName", ref="arn", max_name=80
    ),
    "AWS::Glue::Crawler": Kind("glue", "crawler", "Name", max_name=255),
    "AWS::Athena::WorkGroup": Kind("athena", "workgroup", "Name", max_name=128),
    "AWS::Athena::NamedQuery": Kind(None, None, None, ref="id"),
    "AWS::SecretsManager::Secret": Kind(
        "secretsmanager", "secret", "Name", ref="arn", max_name=512
    ),
}
PSEUDO = ("AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::URLSuffix")
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class UnresolvedValueError(ValueError):
    """A property refers to something the templates do not define (a parameter, an import)."""


@dataclass(frozen=True)
class StackRead:
    """``Fn::GetStackOutput``: a stack reads another stack's output at deploy time."""

    reader: SynthesizedStack
    stack_name: str
    account: str
    region: str


@dataclass(frozen=True)
class Resource:
    """One resource of one stack."""

    stack: SynthesizedStack
    logical_id: str
    type: str
    properties: Mapping[str, Any]

    @property
    def path(self) -> str:
        return f"{self.stack.stack_name}/{self.logical_id}"

    @property
    def kind(self) -> Kind | None:
        return KINDS.get(self.type)

    def tags(self) -> dict[str, str]:
        tags = self.properties.get("Tags", [])
        if isinstance(tags, Mapping):
            return {str(k): str(v) for k, v in tags.items()}
        return {t["Key"]: t["Value"] for t in tags if isinstance(t.get("Value"), str)}


class StageTemplates:
    """Every stack of one stage account, across apps, with their resources."""

    def __init__(self, stacks: Sequence[SynthesizedStack]) -> None:
        self.stacks = list(stacks)
        self.templates = {s.stack_name: s.template for s in self.stacks}

    @cached_property
    def resources(self) -> list[Resource]:
        return [
            Resource(stack, logical_id, body["Type"], body.get("Properties", {}))
            for stack in self.stacks
            for logical_id, body in self.templates[stack.stack_name]["Resources"].items()
        ]

    @cached_property
    def by_arn(self) -> dict[str, Resource]:
        """Resources with an ARN of their own, by that ARN."""
        return {
            self.arn(r): r
            for r in self.resources
            if r.kind is not None and r.kind.resource_type is not None
        }

    def stack_reads(self) -> list[StackRead]:
        """Every ``Fn::GetStackOutput`` of the stage's templates."""
        reads = []
        for stack in self.stacks:
            for argument in _functions(self.templates[stack.stack_name], "Fn::GetStackOutput"):
                name = self.resolve(argument["StackName"], stack)
                source = self.stack_named(name)
                reads.append(StackRead(stack, name, source.account, source.region))
        return reads

    def of_type(self, *types: str) -> Iterator[Resource]:
        return (r for r in self.resources if r.type in types)

    def resource(self, stack: SynthesizedStack, logical_id: str) -> Resource:
        body = self.templates[stack.stack_name]["Resources"][logical_id]
        return Resource(stack, logical_id, body["Type"], body.get("Properties", {}))

    def resource_named(self, resource_type: str, name: str) -> Resource:
        """The resource of ``resource_type`` whose physical name is ``name``."""
        return next(r for r in self.of_type(resource_type) if self.name(r) == name)

    def stack_named(self, name: str) -> SynthesizedStack:
        return next(s for s in self.stacks if s.stack_name == name)

    # Names and ARNs -------------------------------------------------------------------

    def name(self, resource: Resource) -> str:
        """The physical name: the template's, else the one CloudFormation generates
        (``{stack}-{logical id}-{suffix}``, cut to the type's limit)."""
        kind = resource.kind
        if kind is not None and kind.name is not None:
            given = _get(resource.properties, kind.name)
            if given is not None:
                return str(self.resolve(given, resource.stack))
        suffix = hashlib.sha256(resource.path.encode()).hexdigest()[:12].upper()
        limit = kind.max_name if kind else 64
        prefix = f"{resource.stack.stack_name}-{resource.logical_id}"[: limit - len(suffix) - 1]
        generated = f"{prefix}-{suffix}"
        return generated.lower() if resource.type == "AWS::S3::Bucket" else generated

    def key_id(self, resource: Resource) -> str:
        """A stand-in for the id the service gives a resource without a name (a KMS key, an
        event source mapping), stable per resource."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, resource.path))

    def arn(self, resource: Resource) -> str:
        """The resource's own ARN, as IAM authorizes calls on it."""
        kind = resource.kind
        if kind is None or kind.service is None or kind.resource_type is None:
            raise UnresolvedValueError(f"{resource.path}: {resource.type} has no ARN of its own")
        stack = resource.stack
        if kind.name is None:
            name = self.key_id(resource)
        else:
            name = self.name(resource).removeprefix("alias/")
        return resource_type(kind.service, kind.resource_type).arn(
            partition(stack.region), stack.region, stack.account, name
        )

    def ref(self, resource: Resource) -> str:
        kind = resource.kind
        what = kind.ref if kind else "name"
        if what == "arn":
            return self.arn(resource)
        if what == "id":
            return self.key_id(resource)
        if what == "url":
            stack = resource.stack
            return f"https://sqs.{stack.region}.amazonaws.com/{stack.account}/{self.name(resource)}"
        return self.name(resource)

    def attribute(self, resource: Resource, attribute: str) -> str:
        if attribute == "Arn":
            if resource.type == "AWS::Logs::LogGroup":
                return f"{self.arn(resource)}:*"
            return self.arn(resource)
        if attribute in ("QueueName", "TopicName", "Name"):
            return self.name(resource)
        if attribute == "QueueUrl":
            return self.ref(resource)
        if attribute == "KeyId":
            return self.key_id(resource)
        raise UnresolvedValueError(f"{resource.path}: attribute {attribute} is not modelled")

    # Intrinsic functions --------------------------------------------------------------

    def resolve(self, value: Any, stack: SynthesizedStack) -> Any:  # noqa: PLR0911 (one branch per function)
        """``value`` with every intrinsic function of ``stack``'s template evaluated."""
        if isinstance(value, list):
            return [self.resolve(v, stack) for v in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Fn::", "Ref")):
            return {k: self.resolve(v, stack) for k, v in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._ref(argument, stack)
        if function == "Fn::GetAtt":
            logical_id, attribute = (
                argument if isinstance(argument, list) else argument.split(".", 1)
            )
            return self.attribute(self.resource(stack, logical_id), attribute)
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(p) for p in self.resolve(parts, stack))
        if function == "Fn::Sub":
            return self._sub(argument, stack)
        if function == "Fn::Select":
            index, items = argument
            return self.resolve(items, stack)[int(self.resolve(index, stack))]
        if function == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text, stack)).split(separator)
        if function == "Fn::GetStackOutput":
            return self._stack_output(argument, stack)
        raise UnresolvedValueError(f"{stack.stack_name}: {function} is not modelled")

    def _ref(self, name: str, stack: SynthesizedStack) -> str:
        pseudo = {
            "AWS::Partition": partition(stack.region),
            "AWS::Region": stack.region,
            "AWS::AccountId": stack.account,
            "AWS::StackName": stack.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        template = self.templates[stack.stack_name]
        if name in template.get("Resources", {}):
            return self.ref(self.resource(stack, name))
        raise UnresolvedValueError(f"{stack.stack_name}: Ref {name} is a parameter, not a resource")

    def _sub(self, argument: Any, stack: SynthesizedStack) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(self.resolve(variables[token], stack))
            if "." in token and not token.startswith("AWS::"):
                logical_id, attribute = token.split(".", 1)
                return self.attribute(self.resource(stack, logical_id), attribute)
            return self._ref(token, stack)

        return _SUB.sub(replace, text)

    def _stack_output(self, argument: Mapping[str, Any], stack: SynthesizedStack) -> Any:
        name = self.resolve(argument["StackName"], stack)
        source = self.stack_named(name)
        output = self.templates[name]["Outputs"][argument["OutputName"]]["Value"]
        return self.resolve(output, source)


def _get(properties: Mapping[str, Any], path: str) -> Any:
    value: Any = properties
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def values_at(properties: Mapping[str, Any], path: str) -> list[Any]:
    """Every value at ``path``; ``[]`` in a path steps into each item of a list
    (``Targets[].RoleArn``)."""
    found: list[Any] = [properties]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part.removesuffix("[]")
        step: list[Any] = []
        for value in found:
            if isinstance(value, Mapping) and key in value:
                item = value[key]
                step += item if each and isinstance(item, list) else [item]
        found = step
    return found


def _functions(node: Any, function: str) -> Iterator[Any]:
    """The arguments of every use of an intrinsic ``function`` below ``node``."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == function:
                yield value
            else:
                yield from _functions(value, function)
    elif isinstance(node, list):
        for item in node:
            yield from _functions(item, function)
