"""The scoped CloudFormation execution policy the stage accounts are bootstrapped with.

CDK Pipelines deploys each stage through the CDK bootstrap roles of the stage account, trusted
by the pipeline account (``cdk bootstrap --trust``). CloudFormation then acts as the bootstrap's
execution role, which ``cdk bootstrap`` gives AdministratorAccess unless told otherwise. This
module derives the narrower policy to use instead from what AWS publishes: for each resource
type the platform deploys, its CloudFormation provider's handler permissions (create, update,
delete), each granted only on the resources of that type the naming rule names; plus what CDK
does around them (stack outputs read across stacks, custom resources, the bootstrap version).
Together, the trusted deploy role and this policy are the spec's GlueCrossAccountRole.

The policy is split into documents under IAM's managed-policy size limit; its digest tells when
a stage account must be bootstrapped again (``gdp bootstrap commands``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from typing import Any

from shared.config import PlatformConfig, StageName
from shared.deployability.deploy_model import CDK_ASSETS, RELATED, feature_of, required_types
from shared.deployability.service_reference import (
    PHASES,
    ResourceType,
    action_resource_types,
    handler_permissions,
    is_iam_action,
    resource_type,
)
from shared.deployability.stage_templates import KINDS
from shared.naming import StageNaming
from shared.registry import registered

CDK_QUALIFIER = "hnb659fds"
EXECUTION_POLICY_PREFIX = "GlueDataPlatformCfnExecution"
MANAGED_POLICY_MAX_CHARACTERS = 6144
"""IAM's limit on a managed policy document, white space not counted."""

PLATFORM_TYPES = (
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::Lambda::Function",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::Permission",
    "AWS::Lambda::LayerVersion",
    "AWS::Glue::Database",
    "AWS::Glue::SecurityConfiguration",
    "AWS::Glue::Job",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::Logs::LogGroup",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::Events::Rule",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::CloudTrail::Trail",
)
"""The resource types the platform's own stacks use; each application adds its own
(``Application.resource_types``). A test fails on any type neither declares."""


def deployable_types() -> tuple[str, ...]:
    """The platform's resource types and every registered application's."""
    extra = [t for app in registered() for t in app.resource_types if t not in PLATFORM_TYPES]
    return (*PLATFORM_TYPES, *dict.fromkeys(extra))


PLATFORM_NAME_PATTERNS = ("glue-*", "Glue*", "glue_*")
"""What every name of the stage stacks starts with (naming module; names CloudFormation
generates start with the stack name, which starts with ``glue-``)."""

LOG_GROUP_SCOPES = (
    "/aws/lambda/glue-*",
    "/aws/lambda/Glue*",
    "/aws-glue/*",
    "/aws/vendedlogs/states/glue-*",
    "/aws/apigateway/Glue*",
)
"""Lambda's, Glue's and Step Functions' log groups of the platform's functions, jobs and
state machines, and the access logs of its REST APIs."""

# Resource types whose platform names do not follow PLATFORM_NAME_PATTERNS directly.
NAME_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("logs", "log-group"): LOG_GROUP_SCOPES,
    ("logs", "log-stream"): LOG_GROUP_SCOPES,
    # CloudFormation names a layer after the resource's logical id, not the stack.
    ("lambda", "layer"): ("*",),
    ("lambda", "layerversion"): ("*",),
    # Lambda names an event source mapping by a UUID it generates.
    ("lambda", "eventsourcemapping"): ("*",),
    ("ssm", "parameter"): (f"cdk-bootstrap/{CDK_QUALIFIER}/*",),
    # The specification names Glue jobs without the platform's prefix (Name-{stage}).
    ("glue", "job"): ("*-{stage}",),
}
CREATED_WITH_REQUEST_TAGS = ("kms:CreateKey",)
"""Creations scoped by the Project tag they must carry (the action names no resource)."""

# What CDK does around the resources: read outputs of the stage's other stacks
# (Fn::GetStackOutput), invoke custom-resource providers, read the bootstrap version.
AROUND_RESOURCES = (
    ("cloudformation:DescribeStacks", "cloudformation", "stack"),
    ("lambda:InvokeFunction", "lambda", "function"),
    ("ssm:GetParameters", "ssm", "parameter"),
)


class PolicyDerivationError(LookupError):
    """A deployable type's handler needs an action the derivation cannot scope."""


def execution_policy_name(stage: StageName, part: int = 1) -> str:
    """The name of one document of the stage's execution policy in its account."""
    return f"{EXECUTION_POLICY_PREFIX}-{stage}-{part}"


def execution_policies(config: PlatformConfig, stage: StageName) -> list[dict[str, Any]]:
    """The documents for ``cdk bootstrap --cloudformation-execution-policies``."""
    return _split(_statements(StageNaming.of(config, stage), config.project.name))


def policy_digest(documents: list[dict[str, Any]]) -> str:
    """A short digest of what the documents grant (re-bootstrap when it changes)."""
    text = json.dumps(documents, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _statements(n: StageNaming, project: str) -> list[dict[str, Any]]:
    grants: dict[tuple[tuple[str, ...], str], set[str]] = defaultdict(set)
    conditions: dict[str, dict[str, Any]] = {"": {}}
    for kind in deployable_types():
        for phase in PHASES:
            for action in handler_permissions(kind)[phase]:
                if not is_iam_action(action):
                    continue
                feature = feature_of(kind, action)
                if feature is not None and not feature.supported:
                    continue
                for resources, condition in _scopes(n, project, kind, phase, action):
                    key = json.dumps(condition, sort_keys=True) if condition else ""
                    conditions[key] = condition
                    grants[(resources, key)].add(action)
    for action, service, key in AROUND_RESOURCES:
        grants[(_platform_arns(n, resource_type(service, key)), "")].add(action)
    statements = []
    for (resources, key), actions in sorted(grants.items()):
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": list(resources) if len(resources) > 1 else resources[0],
        }
        if conditions[key]:
            statement["Condition"] = conditions[key]
        statements.append(statement)
    for index, statement in enumerate(statements, start=1):
        statement["Sid"] = f"{_sid(statement)}{index}"
    return statements


def _scopes(
    n: StageNaming, project: str, kind: str, phase: str, action: str
) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    service = action.split(":", 1)[0]
    types = action_resource_types(action)
    required = required_types(kind, action)
    if not required:
        optional = [
            _scope(n, project, kind, phase=phase, service=service, key=key, required=False)
            for key, _ in types
        ]
        found = [scope for scope in optional if scope is not None]
        if found:
            return found
        condition = (
            {"StringEquals": {"aws:RequestTag/Project": project}}
            if action in CREATED_WITH_REQUEST_TAGS
            else {}
        )
        return [(("*",), condition)]
    scopes = []
    for key in required:
        scope = _scope(n, project, kind, phase=phase, service=service, key=key, required=True)
        if scope is None:
            raise PolicyDerivationError(
                f"{kind}: {action} acts on {service}:{key}, which the execution policy "
                "cannot scope: name it in shared/deployability/deploy_model.py"
            )
        scopes.append(scope)
    return scopes


def _scope(
    n: StageNaming,
    project: str,
    kind: str,
    *,
    phase: str,
    service: str,
    key: str,
    required: bool,
) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    target = resource_type(service, key)
    own_kind = KINDS.get(kind)
    if (service, key) == ("kms", "key"):
        return _key_scope(n, project, new=kind == "AWS::KMS::Key" and phase == "create")
    if not target.name_placeholders:
        return ((target.arn(n.partition, n.region, n.account),), {}) if required else None
    if own_kind and own_kind.service == service and own_kind.resource_type:
        own = resource_type(service, own_kind.resource_type)
        same_parent = own.name_placeholders[:1] == target.name_placeholders[:1]
        if own_kind.resource_type == key or (
            same_parent and (required or target.arn_format.startswith(own.arn_format))
        ):
            return (_platform_arns(n, target), {})
    related = RELATED.get((kind, f"{service}:{key}"))
    if related is None or related.scope is None:
        return None
    if related.scope == CDK_ASSETS:
        assets = f"cdk-{CDK_QUALIFIER}-assets-{n.account}-{n.region}"
        return ((target.arn(n.partition, n.region, n.account, assets),), {})
    return (_platform_arns(n, target), {})


def _key_scope(
    n: StageNaming, project: str, *, new: bool
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """KMS keys have no names: they are scoped by their Project tag. A key being created is not
    tagged yet when its create handler configures it (rotation, policy), so those calls may
    also act on keys that carry no Project tag at all, never on another project's keys."""
    operator = "StringEqualsIfExists" if new else "StringEquals"
    keys = resource_type("kms", "key").arn(n.partition, n.region, n.account, "*")
    return ((keys,), {operator: {"aws:ResourceTag/Project": project}})


def _platform_arns(n: StageNaming, target: ResourceType) -> tuple[str, ...]:
    names = NAME_SCOPES.get((target.service, target.key), PLATFORM_NAME_PATTERNS)
    return tuple(
        target.arn(n.partition, n.region, n.account, name.format(stage=n.stage)) for name in names
    )


def _sid(statement: dict[str, Any]) -> str:
    services = sorted({a.split(":", 1)[0] for a in statement["Action"]})
    words = re.split(r"[^A-Za-z0-9]+", "-".join(services))
    return "".join(w.capitalize() for w in words if w)[:80]


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))


def _split(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for statement in statements:
        candidate = {"Version": "2012-10-17", "Statement": [*current, statement]}
        if current and _size(candidate) > MANAGED_POLICY_MAX_CHARACTERS:
            documents.append({"Version": "2012-10-17", "Statement": current})
            current = [statement]
        else:
            current.append(statement)
    documents.append({"Version": "2012-10-17", "Statement": current})
    for document in documents:
        if _size(document) > MANAGED_POLICY_MAX_CHARACTERS:
            raise PolicyDerivationError(
                f"statement {document['Statement'][0]['Sid']} alone exceeds "
                f"{MANAGED_POLICY_MAX_CHARACTERS} characters"
            )
    return documents


DIGEST_PREFIX = "digest "


def stale_policies(iam: Any, config: PlatformConfig, stage: StageName) -> list[str]:
    """Why the stage account must be bootstrapped again: each execution policy document that is
    missing, or whose description carries another digest than the derived policy's (empty when
    the account is current). ``iam`` is a boto3 IAM client of the stage account."""
    n = StageNaming.of(config, stage)
    documents = execution_policies(config, stage)
    digest = policy_digest(documents)
    found = []
    for part in range(1, len(documents) + 1):
        name = execution_policy_name(stage, part)
        arn = f"arn:{n.partition}:iam::{n.account}:policy/{name}"
        try:
            description = iam.get_policy(PolicyArn=arn)["Policy"].get("Description", "")
        except iam.exceptions.NoSuchEntityException:
            found.append(f"{name}: not created yet")
            continue
        if description != f"{DIGEST_PREFIX}{digest}":
            found.append(f"{name}: {description or 'no digest'}, the derived policy is {digest}")
    return found
