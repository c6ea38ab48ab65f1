"""Grants of one application to the stage's shared roles (GlueServiceRole, GlueTestRole),
from the application's own stack: a managed policy attached to the role by its name."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from shared.compliance import acknowledge


def attach_to_role(
    scope: Construct,
    construct_id: str,
    *,
    role_name: str,
    description: str,
    statements: Sequence[iam.PolicyStatement],
    wildcards: Sequence[str] = (),
    reason: str = "",
) -> iam.ManagedPolicy:
    """A managed policy of ``scope``'s stack attached to the role named ``role_name``.

    Args:
        wildcards: the ``Resource::...`` findings of the statements, acknowledged with
            ``reason`` (cdk-nag IAM5).
    """
    role = iam.Role.from_role_name(scope, f"{construct_id}Role", role_name)
    policy = iam.ManagedPolicy(
        scope,
        construct_id,
        description=description,
        statements=list(statements),
        roles=[role],
    )
    if wildcards:
        acknowledge(policy, "IAM5", reason, findings=[f"Resource::{w}" for w in wildcards])
    return policy


def allow(sid: str, actions: Sequence[str], resources: Sequence[str]) -> iam.PolicyStatement:
    """One allow statement."""
    return iam.PolicyStatement(sid=sid, actions=list(actions), resources=list(resources))
