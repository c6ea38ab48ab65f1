"""Walks the stage's synthesized templates as CloudFormation deploys them: stacks in the
order given, each stack's resources in dependency order, every intrinsic function resolved
against what has been created so far (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``,
``Fn::Select``, ``Fn::Split``, ``Fn::GetStackOutput``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.assembly import SynthesizedStack
from shared.deployability.stage_templates import Resource, StageTemplates, UnresolvedValueError

_SUB_TOKEN = re.compile(r"\$\{([^}!][^}]*)\}")
PSEUDO_PREFIX = "AWS::"


@dataclass
class Created:
    """What a created resource answers to: ``Ref`` and its ``Fn::GetAtt`` attributes."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


class LocalDeployError(UnresolvedValueError):
    """A template cannot be deployed locally as written (a cycle, an unknown reference)."""


class DeployedTemplates(StageTemplates):
    """The stage's templates, resolved against the resources created in the local AWS.

    ``Ref`` and ``Fn::GetAtt`` answer with what each resource's provider recorded when it
    was created (a queue's URL, a key's id); names of resources not created yet come from the
    template (or CloudFormation's rule for generated names).
    """

    def __init__(self, stacks: Sequence[SynthesizedStack]) -> None:
        super().__init__(stacks)
        self.created: dict[str, Created] = {}

    def record(self, resource: Resource, created: Created) -> None:
        self.created[resource.path] = created

    def ref(self, resource: Resource) -> str:
        if resource.path in self.created:
            return self.created[resource.path].ref
        raise LocalDeployError(f"{resource.path} is referred to before it is created")

    def attribute(self, resource: Resource, attribute: str) -> str:
        created = self.created.get(resource.path)
        if created is None:
            raise LocalDeployError(f"{resource.path}.{attribute} is read before it is created")
        if attribute not in created.attributes:
            raise LocalDeployError(
                f"{resource.path}: attribute {attribute} of {resource.type} is not known locally"
            )
        return created.attributes[attribute]

    def resources_in_order(self) -> Iterator[Resource]:
        """Every resource, stack by stack, each after the resources it refers to."""
        for stack in self.stacks:
            body = self.templates[stack.stack_name]["Resources"]
            yield from (self.resource(stack, logical_id) for logical_id in deployment_order(body))


def deployment_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids so that each comes after those it refers to (``Ref``, ``Fn::GetAtt``,
    ``Fn::Sub`` tokens, ``DependsOn``); template order among independent ones.

    Raises:
        LocalDeployError: on a dependency cycle.
    """
    needs = {
        logical_id: sorted(_references(body, set(resources)) - {logical_id})
        for logical_id, body in resources.items()
    }
    ordered: list[str] = []
    placed: set[str] = set()
    visiting: list[str] = []

    def place(logical_id: str) -> None:
        if logical_id in placed:
            return
        if logical_id in visiting:
            cycle = " -> ".join([*visiting[visiting.index(logical_id) :], logical_id])
            raise LocalDeployError(f"dependency cycle: {cycle}")
        visiting.append(logical_id)
        for needed in needs[logical_id]:
            place(needed)
        visiting.pop()
        placed.add(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        place(logical_id)
    return ordered


def _references(body: Mapping[str, Any], known: set[str]) -> set[str]:
    depends = body.get("DependsOn", [])
    found = set([depends] if isinstance(depends, str) else depends)
    stack: list[Any] = [body.get("Properties", {})]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack += node
        elif isinstance(node, Mapping):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    found.add(value)
                elif key == "Fn::GetAtt":
                    found.add(value[0] if isinstance(value, list) else value.split(".", 1)[0])
                elif key == "Fn::Sub":
                    text = value if isinstance(value, str) else value[0]
                    found |= {t.split(".", 1)[0] for t in _SUB_TOKEN.findall(text)}
                    if not isinstance(value, str):
                        stack.append(value[1])
                else:
                    stack.append(value)
    return {name for name in found if name in known and not name.startswith(PSEUDO_PREFIX)}
