"""Reading IAM out of a synthesized template, for the stack tests."""

from __future__ import annotations


def role(template, role_name: str) -> dict:
    """The properties of the role named ``role_name``."""
    [resource] = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": role_name}}
    ).values()
    return resource["Properties"]


def managed_policy(template, description_fragment: str) -> dict:
    """The properties of the one managed policy whose description holds the fragment."""
    policies = template.find_resources("AWS::IAM::ManagedPolicy")
    [policy] = [
        p for p in policies.values() if description_fragment in p["Properties"]["Description"]
    ]
    return policy["Properties"]


def managed_policy_statements(template, description_fragment: str) -> list[dict]:
    return managed_policy(template, description_fragment)["PolicyDocument"]["Statement"]


def statement(statements: list[dict], sid: str) -> dict:
    return next(s for s in statements if s.get("Sid") == sid)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def only(template, kind: str, properties: dict) -> dict:
    """The one resource of ``kind`` with ``properties``."""
    found = template.find_resources(kind, {"Properties": properties})
    assert len(found) == 1, f"{len(found)} {kind} with {properties}"
    return next(iter(found.values()))
