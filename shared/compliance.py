"""Compliance applied in one place for every app: tags, cdk-nag validation, acknowledgments."""

from __future__ import annotations

from collections.abc import Iterable

import jsii
from aws_cdk import (
    Acknowledgment,
    App,
    Aspects,
    CfnResource,
    IAspect,
    TagManager,
    Tags,
    Validations,
)
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from shared.config import PlatformConfig

RULE_PACK = "AwsSolutions"


def apply_tags(scope: IConstruct, config: PlatformConfig, environment: str) -> None:
    """Tag every taggable resource under ``scope`` (spec: Tagging Strategy).

    Apply it to each stage and to the pipeline stack: tags added to the app do not reach the
    stacks of CDK Pipelines stages.
    """
    values = {
        "Environment": environment,
        "Project": config.project.name,
        "Owner": config.project.owner,
        "CostCenter": config.project.cost_center,
    }
    tags = Tags.of(scope)
    for key, value in values.items():
        tags.add(key, value)
    Aspects.of(scope).add(_TagRawResources(values))


# Taggable types that CDK's custom resource providers write as raw CfnResource (the S3
# auto-delete provider's role and function), which the Tags aspect does not reach.
RAW_TAGGABLE_TYPES = frozenset({"AWS::IAM::Role", "AWS::Lambda::Function"})


@jsii.implements(IAspect)
class _TagRawResources:
    """Adds the tags to raw ``CfnResource`` nodes of taggable types."""

    def __init__(self, values: dict[str, str]) -> None:
        self._tags = [{"Key": key, "Value": value} for key, value in sorted(values.items())]

    def visit(self, node: IConstruct) -> None:
        if (
            isinstance(node, CfnResource)
            and node.cfn_resource_type in RAW_TAGGABLE_TYPES
            and not TagManager.is_taggable(node)
        ):
            node.add_property_override("Tags", self._tags)


def enable_nag(app: App) -> None:
    """Run the AwsSolutions rules on every stack of ``app``, pipeline stages included.

    Any finding that is not acknowledged makes ``app.synth()`` fail.
    """
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(
    scope: IConstruct,
    rule: str,
    reason: str,
    *,
    findings: Iterable[str] = (),
) -> None:
    """Acknowledge one cdk-nag rule on ``scope`` and everything under it, with a reason.

    Args:
        scope: the construct the acknowledgment covers (keep it as narrow as possible).
        rule: the rule id without the pack prefix, e.g. ``"S1"`` or ``"IAM5"``.
        reason: why the finding is acceptable, for a security reviewer.
        findings: for rules reported per finding (IAM4, IAM5): each finding id, e.g.
            ``"Action::s3:List*"`` or ``"Resource::arn:aws:s3:::bucket/*"``. Without them
            the whole rule is acknowledged, which IAM4/IAM5 do not accept.
    """
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledgment of {rule} needs a specific reason, got {reason!r}")
    ids = [f"{RULE_PACK}-{rule}[{finding}]" for finding in findings] or [f"{RULE_PACK}-{rule}"]
    Validations.of(scope).acknowledge(*(Acknowledgment(id=i, reason=reason) for i in ids))
