"""docs/security.md, generated from the synthesized templates: every role and what it may do,
every cdk-nag acknowledgment with its reason, encryption at rest, and data retention.

It reads what CloudFormation will deploy, not what the code means to deploy: the page cannot
claim a permission or a key the templates do not have. ``gdp docs`` writes it; a test fails
when the page and the templates differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.assembly import SynthesizedStack

ACKNOWLEDGED = "aws:cdk:acknowledged-rules"
NAME_PROPERTIES = (
    "RoleName",
    "BucketName",
    "QueueName",
    "TopicName",
    "TableName",
    "FunctionName",
    "LogGroupName",
    "Name",
    "AliasName",
)
PSEUDO = {"AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": ""}
ENCRYPTED_TYPES = {
    "AWS::S3::Bucket": "bucket",
    "AWS::SQS::Queue": "queue",
    "AWS::SNS::Topic": "topic",
    "AWS::Logs::LogGroup": "log group",
    "AWS::DynamoDB::GlobalTable": "table",
    "AWS::Glue::SecurityConfiguration": "Glue",
}


@dataclass(frozen=True)
class StackView:
    """One stack's template and metadata, with names for its logical IDs."""

    stack: SynthesizedStack
    resources: dict[str, Any]
    metadata: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, stack: SynthesizedStack) -> StackView:
        metadata_file = Path(str(stack.template_file).replace(".template.json", ".metadata.json"))
        metadata = json.loads(metadata_file.read_text()) if metadata_file.is_file() else {}
        return cls(stack, stack.template.get("Resources", {}), metadata)

    def name(self, logical_id: str) -> str:
        """The physical name the template gives a resource, else its logical ID."""
        properties = self.resources.get(logical_id, {}).get("Properties", {})
        for key in NAME_PROPERTIES:
            if isinstance(properties.get(key), str):
                return properties[key]
        return logical_id

    def show(self, value: Any) -> str:
        """A template value as text: references become names, joins are joined."""
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return ", ".join(self.show(v) for v in value)
        if isinstance(value, dict) and len(value) == 1:
            [(function, argument)] = value.items()
            functions = {
                "Ref": self._pseudo,
                "Fn::GetAtt": lambda a: self.name(a[0]),
                "Fn::Join": lambda a: a[0].join(self.show(part) for part in a[1]),
                "Fn::Sub": self._sub,
            }
            if function in functions:
                return functions[function](argument)
        return json.dumps(value, sort_keys=True)

    def _sub(self, argument: Any) -> str:
        text = argument if isinstance(argument, str) else argument[0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: self._pseudo(m.group(1)), text)

    def _pseudo(self, name: str) -> str:
        known = {
            "AWS::AccountId": self.stack.account,
            "AWS::Region": self.stack.region,
            "AWS::Partition": "aws",
            **PSEUDO,
        }
        return known.get(name, self.name(name))

    def of_type(self, resource_type: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (logical_id, resource)
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        ]


@dataclass(frozen=True)
class Acknowledgment:
    """One cdk-nag finding accepted on purpose."""

    stack: str
    path: str
    rule: str
    reason: str


def acknowledgments(views: Iterable[StackView]) -> list[Acknowledgment]:
    """Every acknowledgment recorded in the stacks' metadata."""
    found = []
    for view in views:
        prefix = f"/{view.stack.construct_path}/"
        for path, entries in view.metadata.items():
            for entry in entries:
                if entry.get("type") != ACKNOWLEDGED:
                    continue
                for rule, reason in entry["data"].items():
                    found.append(
                        Acknowledgment(
                            stack=view.stack.stack_name,
                            path=path.removeprefix(prefix),
                            rule=rule.removeprefix("Annotation::"),
                            reason=" ".join(reason.split()),
                        )
                    )
    return sorted(found, key=lambda a: (a.stack, a.path, a.rule))


def role_sections(view: StackView) -> list[str]:
    """Markdown: each role of the stack, who may assume it, and its statements."""
    policies: dict[str, list[dict[str, Any]]] = {}
    for _, policy in view.of_type("AWS::IAM::Policy"):
        properties = policy["Properties"]
        for role in properties.get("Roles", []):
            role_id = str(role.get("Ref")) if isinstance(role, dict) else str(role)
            policies.setdefault(role_id, []).extend(properties["PolicyDocument"]["Statement"])
    out = []
    for logical_id, role in view.of_type("AWS::IAM::Role"):
        properties = role["Properties"]
        principals = sorted(
            {
                view.show(principal)
                for statement in properties["AssumeRolePolicyDocument"]["Statement"]
                for principal in _principals(statement.get("Principal", {}))
            }
        )
        statements = [
            statement
            for inline in properties.get("Policies", [])
            for statement in inline["PolicyDocument"]["Statement"]
        ] + policies.get(logical_id, [])
        out += [
            "",
            f"**{view.name(logical_id)}**, assumed by {', '.join(principals)}",
            "",
        ]
        out += [
            f"- managed policy {view.show(arn).rsplit('/', 1)[-1]}"
            for arn in properties.get("ManagedPolicyArns", [])
        ]
        out += [f"- {_statement(view, statement)}" for statement in statements]
        if not statements and not properties.get("ManagedPolicyArns"):
            out.append("- no permissions of its own")
    return out


def _principals(principal: Any) -> list[Any]:
    if isinstance(principal, str):
        return [principal]
    values = []
    for value in principal.values():
        values += value if isinstance(value, list) else [value]
    return values


def _statement(view: StackView, statement: dict[str, Any]) -> str:
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    resources = statement.get("Resource", [])
    resources = resources if isinstance(resources, list) else [resources]
    text = f"{statement['Effect']} `{', '.join(actions)}` on " + ", ".join(
        f"`{view.show(r)}`" for r in resources
    )
    if "Condition" in statement:
        text += f" when `{view.show(statement['Condition'])}`"
    return text


def encryption_rows(views: Iterable[StackView]) -> list[tuple[str, str, str]]:
    """(resource, kind, how it is encrypted at rest) for every resource that stores data."""
    rows = []
    for view in views:
        for resource_type, kind in ENCRYPTED_TYPES.items():
            for logical_id, resource in view.of_type(resource_type):
                how = _encryption(view, resource_type, resource.get("Properties", {}))
                rows.append((view.name(logical_id), kind, how))
    return sorted(rows)


def _encryption(view: StackView, resource_type: str, properties: dict[str, Any]) -> str:
    if resource_type == "AWS::S3::Bucket":
        rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        default = rule["ServerSideEncryptionByDefault"]
        key = default.get("KMSMasterKeyID")
        return default["SSEAlgorithm"] + (f" with {view.show(key)}" if key else "")
    if resource_type in ("AWS::SQS::Queue", "AWS::SNS::Topic"):
        key = properties.get("KmsMasterKeyId")
        if key:
            return f"KMS {view.show(key)}"
        return "SSE-SQS" if properties.get("SqsManagedSseEnabled") else "none"
    if resource_type == "AWS::Logs::LogGroup":
        key = properties.get("KmsKeyId")
        return f"KMS {view.show(key)}" if key else "CloudWatch Logs default"
    if resource_type == "AWS::DynamoDB::GlobalTable":
        sse = properties.get("SSESpecification", {})
        return "KMS" if sse.get("SSEEnabled") else "DynamoDB owned key"
    config = properties["EncryptionConfiguration"]
    return "; ".join(
        f"{part}: {_glue_mode(config.get(key))}"
        for part, key in (
            ("S3", "S3Encryptions"),
            ("logs", "CloudWatchEncryption"),
            ("bookmarks", "JobBookmarksEncryption"),
        )
    )


def _glue_mode(setting: Any) -> str:
    if isinstance(setting, list):
        setting = setting[0] if setting else {}
    setting = setting or {}
    mode = next((v for k, v in setting.items() if k.endswith("EncryptionMode")), "DISABLED")
    return str(mode)


def retention_rows(views: Iterable[StackView]) -> list[tuple[str, str, str]]:
    """(resource, what expires when, kept when the stack is deleted?)."""
    rows = []
    for view in views:
        for logical_id, resource in view.of_type("AWS::S3::Bucket"):
            rules = resource["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
            parts = []
            for rule in rules:
                if "ExpirationInDays" in rule:
                    scope = rule.get("Prefix", "")
                    parts.append(f"{scope or 'objects'} after {rule['ExpirationInDays']} days")
                noncurrent = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
                if noncurrent:
                    parts.append(f"old versions after {noncurrent} days")
            rows.append((view.name(logical_id), "; ".join(parts) or "never", _kept(resource)))
        for logical_id, resource in view.of_type("AWS::Logs::LogGroup"):
            days = resource["Properties"].get("RetentionInDays")
            rows.append(
                (view.name(logical_id), f"after {days} days" if days else "never", _kept(resource))
            )
    return sorted(rows)


def _kept(resource: dict[str, Any]) -> str:
    return "kept" if resource.get("DeletionPolicy") == "Retain" else "deleted"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    return [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
        *("| " + " | ".join(cell(str(c)) for c in row) + " |" for row in rows),
    ]


def render(stacks: Sequence[SynthesizedStack], stage_marker: str) -> str:
    """The whole page, for the pipeline stacks and the stacks of one stage (``stage_marker``
    is the stage's construct path segment, such as ``Deploy-Dev``)."""
    shown = [
        StackView.of(stack)
        for stack in stacks
        if "/" not in stack.construct_path or f"/{stage_marker}/" in stack.construct_path
    ]
    out = [
        "# Security",
        "",
        "<!-- Generated from the synthesized templates by `gdp docs` (`make docs`); a test fails",
        "     when this page and the templates differ. -->",
        "",
        "What the templates deploy, read back from them: the pipeline stacks and the",
        f"`{stage_marker}` stage (prod is the same with its own names and account). Every",
        "template passes cdk-nag's AwsSolutions pack with no unacknowledged finding; each",
        "acknowledgment below carries the reason a reviewer accepted it for.",
        "",
        "## Roles and what each may do",
    ]
    for view in shown:
        sections = role_sections(view)
        if sections:
            out += ["", f"### {view.stack.stack_name} ({view.stack.account})", *sections]
    out += [
        "",
        "## cdk-nag acknowledgments",
        "",
        *_table(
            ("stack", "construct", "rule", "reason"),
            ((a.stack, f"`{a.path}`", a.rule, a.reason) for a in acknowledgments(shown)),
        ),
        "",
        "## Encryption at rest",
        "",
        "In transit, every bucket and topic policy denies requests without TLS.",
        "",
        *_table(("resource", "kind", "encryption"), encryption_rows(shown)),
        "",
        "## Data retention",
        "",
        *_table(("resource", "expires", "on stack deletion"), retention_rows(shown)),
    ]
    return "\n".join(out) + "\n"
