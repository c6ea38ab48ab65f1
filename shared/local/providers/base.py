"""What a resource provider gets: the resolved properties of one resource (tracking which it
applied) and the local AWS it creates the resource in."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from shared.deployability.stage_templates import Resource
from shared.local.template_walker import Created, DeployedTemplates


class Properties:
    """A resource's resolved properties; what a provider reads counts as applied."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.values.get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self.values[key]

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def only_at_deletion(self, *keys: str) -> None:
        """Properties that matter only when the resource is deleted (never, locally)."""
        self.read.update(keys)

    def unapplied(self) -> list[str]:
        return sorted(set(self.values) - self.read)

    def tags(self) -> dict[str, str]:
        """``Tags`` as a mapping, whichever of CloudFormation's two shapes it has."""
        tags = self.get("Tags") or []
        if isinstance(tags, Mapping):
            return {str(k): str(v) for k, v in tags.items()}
        return {t["Key"]: str(t["Value"]) for t in tags}

    def tag_list(self) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self.tags().items()]


@dataclass
class DeployContext:
    """The local AWS a stage is deployed into, and the templates being deployed."""

    session: boto3.Session
    templates: DeployedTemplates
    account: str
    region: str
    workdir: Path
    at_stack_end: list[Callable[[], None]] = field(default_factory=list)
    """Calls to make once the stack's other resources exist (``defer``)."""
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    def defer(self, call: Callable[[], None]) -> None:
        """Make ``call`` when the current stack's resources all exist: for settings that moto
        validates against resources the template creates in no set order (a bucket's access
        logging needs the target bucket's policy)."""
        self.at_stack_end.append(call)

    def name(self, resource: Resource) -> str:
        """The resource's physical name (the template's, else CloudFormation's rule)."""
        return self.templates.name(resource)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


Provider = Callable[[DeployContext, Resource, Properties], Created]


def as_json(document: Any) -> str:
    """A policy or pattern as the API takes it: the JSON text."""
    return document if isinstance(document, str) else json.dumps(document)


def stringified(values: Mapping[str, Any]) -> dict[str, str]:
    """Attribute maps (SQS, SNS) take strings; booleans are lower case as in the API."""
    return {
        key: str(value).lower()
        if isinstance(value, bool)
        else as_json(value)
        if isinstance(value, Mapping | list)
        else str(value)
        for key, value in values.items()
    }
