"""What CloudFormation does on a resource's behalf, beyond its own ARN: which properties name
the other resources a handler's actions touch, and which actions only a feature calls.

Both the execution policy (``shared.bootstrap``) and the deploy-permission check read these
tables, so a resource type or feature the platform does not scope yet fails the check with the
missing action instead of passing unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.deployability.iam_policy import wildcard_match
from shared.deployability.service_reference import action_resource_types
from shared.deployability.stage_templates import KINDS, values_at

PLATFORM = "platform"
"""Related resources of the platform: named by the naming rule."""
CDK_ASSETS = "cdk-assets"
"""Objects of the stage account's CDK asset bucket (code of functions and layers)."""


@dataclass(frozen=True)
class Related:
    """A property that names another resource an action touches; ``scope`` says which
    resources of that type the execution policy grants (None: the platform grants none)."""

    path: str
    scope: str | None = PLATFORM


@dataclass(frozen=True)
class Feature:
    """Actions a handler calls only when a feature is used (``in_use`` reads the resource's
    properties); ``supported`` says whether the execution policy grants them."""

    description: str
    in_use: Callable[[Mapping[str, Any]], bool]
    supported: bool


def has(path: str) -> Callable[[Mapping[str, Any]], bool]:
    """The feature is in use when the property at ``path`` is set."""
    return lambda properties: bool(values_at(properties, path))


RELATED: dict[tuple[str, str], Related] = {
    ("AWS::S3::BucketPolicy", "s3:bucket"): Related("Bucket"),
    ("AWS::SQS::QueuePolicy", "sqs:queue"): Related("Queues[]"),
    ("AWS::SNS::TopicPolicy", "sns:topic"): Related("Topics[]"),
    ("AWS::Lambda::Permission", "lambda:function"): Related("FunctionName"),
    ("AWS::Lambda::EventInvokeConfig", "lambda:function"): Related("FunctionName"),
    ("AWS::IAM::Policy", "iam:role"): Related("Roles[]"),
    ("AWS::IAM::ManagedPolicy", "iam:role"): Related("Roles[]"),
    ("AWS::DynamoDB::GlobalTable", "dynamodb:global-table"): Related("TableName"),
    ("AWS::Lambda::Function", "iam:role"): Related("Role"),
    ("AWS::Lambda::Function", "s3:object"): Related("Code", CDK_ASSETS),
    ("AWS::Lambda::Function", "lambda:layerversion"): Related("Layers[]"),
    ("AWS::Lambda::LayerVersion", "s3:object"): Related("Content", CDK_ASSETS),
    ("AWS::Glue::Job", "iam:role"): Related("Role"),
    ("AWS::KMS::Alias", "kms:key"): Related("TargetKeyId"),
    ("AWS::Events::Rule", "iam:role"): Related("Targets[].RoleArn"),
    ("AWS::CloudTrail::Trail", "iam:role"): Related("CloudWatchLogsRoleArn"),
    ("AWS::SNS::Topic", "iam:role"): Related("DeliveryStatusLogging[].SuccessFeedbackRoleArn"),
    ("AWS::S3::Bucket", "iam:role"): Related("ReplicationConfiguration.Role", None),
    ("AWS::DynamoDB::GlobalTable", "kms:key"): Related("SSESpecification.KMSMasterKeyId"),
    ("AWS::StepFunctions::StateMachine", "iam:role"): Related("RoleArn"),
    ("AWS::Glue::Crawler", "iam:role"): Related("Role"),
    ("AWS::Scheduler::Schedule", "iam:role"): Related("Target.RoleArn"),
    ("AWS::Athena::NamedQuery", "athena:workgroup"): Related("WorkGroup"),
    ("AWS::Athena::WorkGroup", "s3:bucket"): Related(
        "WorkGroupConfiguration.ResultConfiguration.OutputLocation"
    ),
}

FEATURES: dict[tuple[str, str], Feature] = {
    **{
        (kind, f"iam:*{principal}Policy"): Feature(
            f"policies of IAM {principal.lower()}s", has(f"{principal}s"), False
        )
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for principal in ("User", "Group")
    },
    ("AWS::Lambda::Function", "ec2:*"): Feature("VPC networking", has("VpcConfig"), False),
    ("AWS::ApiGateway::RestApi", "iam:PassRole"): Feature(
        "integration roles of an imported OpenAPI body",
        lambda p: bool(values_at(p, "Body")) or bool(values_at(p, "BodyS3Location")),
        False,
    ),
    ("AWS::ApiGateway::Method", "iam:PassRole"): Feature(
        "integrations that assume a role", has("Integration.Credentials"), False
    ),
    ("AWS::Lambda::Function", "elasticfilesystem:*"): Feature(
        "file systems", has("FileSystemConfigs"), False
    ),
    ("AWS::Lambda::Function", "s3files:*"): Feature(
        "file systems", has("FileSystemConfigs"), False
    ),
    ("AWS::Lambda::Function", "kms:*"): Feature(
        "environment encryption with a customer key", has("KmsKeyArn"), False
    ),
    ("AWS::Lambda::Function", "lambda:*CodeSigningConfig"): Feature(
        "code signing", has("CodeSigningConfigArn"), False
    ),
    ("AWS::Lambda::Function", "lambda:PassCapacityProvider"): Feature(
        "capacity providers", has("CapacityProviderConfig"), False
    ),
    ("AWS::Lambda::Function", "lambda:GetLayerVersion"): Feature("layers", has("Layers"), True),
    ("AWS::Lambda::EventSourceMapping", "kms:*"): Feature(
        "filter criteria encrypted with a customer key", has("KmsKeyArn"), False
    ),
    ("AWS::S3::Bucket", "s3tables:*"): Feature(
        "metadata tables",
        lambda p: (
            bool(values_at(p, "MetadataTableConfiguration"))
            or bool(values_at(p, "MetadataConfiguration"))
        ),
        False,
    ),
    ("AWS::S3::Bucket", "iam:PassRole"): Feature(
        "replication", has("ReplicationConfiguration"), False
    ),
    ("AWS::Logs::LogGroup", "firehose:*"): Feature(
        "data protection audit delivery", has("DataProtectionPolicy"), False
    ),
    ("AWS::Logs::LogGroup", "logs:CreateLogDelivery"): Feature(
        "data protection audit delivery", has("DataProtectionPolicy"), False
    ),
    ("AWS::Glue::Database", "glue:*Connection"): Feature(
        "federated databases", has("DatabaseInput.FederatedDatabase"), False
    ),
    ("AWS::DynamoDB::GlobalTable", "kinesis:*"): Feature(
        "Kinesis streaming", has("Replicas[].KinesisStreamSpecification"), False
    ),
    ("AWS::DynamoDB::GlobalTable", "application-autoscaling:Put*"): Feature(
        "auto scaling of provisioned capacity", has("WriteProvisionedThroughputSettings"), False
    ),
    ("AWS::DynamoDB::GlobalTable", "application-autoscaling:Delete*"): Feature(
        "auto scaling of provisioned capacity", has("WriteProvisionedThroughputSettings"), False
    ),
    ("AWS::DynamoDB::GlobalTable", "application-autoscaling:RegisterScalableTarget"): Feature(
        "auto scaling of provisioned capacity", has("WriteProvisionedThroughputSettings"), False
    ),
    ("AWS::DynamoDB::GlobalTable", "application-autoscaling:DeregisterScalableTarget"): Feature(
        "auto scaling of provisioned capacity", has("WriteProvisionedThroughputSettings"), False
    ),
    ("AWS::DynamoDB::GlobalTable", "iam:CreateServiceLinkedRole"): Feature(
        "replicas in other regions", lambda p: len(values_at(p, "Replicas[]")) > 1, False
    ),
    ("AWS::DynamoDB::GlobalTable", "kms:CreateGrant"): Feature(
        "encryption with a KMS key", has("SSESpecification.KMSMasterKeyId"), True
    ),
    ("AWS::DynamoDB::GlobalTable", "kms:Decrypt"): Feature(
        "encryption with a KMS key", has("SSESpecification.KMSMasterKeyId"), True
    ),
    ("AWS::DynamoDB::GlobalTable", "kms:RevokeGrant"): Feature(
        "encryption with a KMS key", has("SSESpecification.KMSMasterKeyId"), True
    ),
    ("AWS::DynamoDB::GlobalTable", "kms:DescribeKey"): Feature(
        "encryption with a KMS key", has("SSESpecification.KMSMasterKeyId"), True
    ),
    ("AWS::Events::Rule", "iam:PassRole"): Feature(
        "targets invoked with a role", has("Targets[].RoleArn"), True
    ),
    ("AWS::SNS::Topic", "iam:*"): Feature(
        "delivery status logging", has("DeliveryStatusLogging"), False
    ),
    ("AWS::StepFunctions::StateMachine", "kms:*"): Feature(
        "encryption with a customer key", has("EncryptionConfiguration.KmsKeyId"), False
    ),
    ("AWS::Athena::WorkGroup", "kms:*"): Feature(
        "results encrypted with a customer key",
        has("WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration.KmsKey"),
        False,
    ),
    ("AWS::Athena::WorkGroup", "iam:PassRole"): Feature(
        "Spark notebooks' execution role", has("WorkGroupConfiguration.ExecutionRole"), False
    ),
    ("AWS::Athena::WorkGroup", "iam:CreateServiceLinkedRole"): Feature(
        "IAM Identity Center", has("WorkGroupConfiguration.IdentityCenterConfiguration"), False
    ),
    ("AWS::SecretsManager::Secret", "secretsmanager:*Regions*"): Feature(
        "replicas in other regions", has("ReplicaRegions"), False
    ),
    ("AWS::CloudTrail::Trail", "iam:PassRole"): Feature(
        "delivery to CloudWatch Logs", has("CloudWatchLogsRoleArn"), False
    ),
    ("AWS::CloudTrail::Trail", "iam:GetRole"): Feature(
        "delivery to CloudWatch Logs", has("CloudWatchLogsRoleArn"), False
    ),
    ("AWS::CloudTrail::Trail", "iam:CreateServiceLinkedRole"): Feature(
        "organization trails", lambda p: p.get("IsOrganizationTrail") is True, False
    ),
}


def feature_of(resource_type: str, action: str) -> Feature | None:
    """The feature that alone calls ``action`` for ``resource_type``, if any."""
    for (kind, pattern), feature in FEATURES.items():
        if kind == resource_type and wildcard_match(pattern, action, ignore_case=True):
            return feature
    return None


TAGGING_ACTIONS = ("TagResource", "UntagResource", "ListTagsForResource")


def required_types(resource_type: str, action: str) -> list[str]:
    """The resource type keys ``action`` must be authorized on when ``resource_type``'s
    handler calls it: the service reference's required ones, except that a tagging action
    listing every taggable type (``athena:TagResource`` names four) acts on the resource's
    own only."""
    required = [key for key, needed in action_resource_types(action) if needed]
    kind = KINDS.get(resource_type)
    service, _, name = action.partition(":")
    tagging = name in TAGGING_ACTIONS
    if tagging and kind and kind.service == service and kind.resource_type in required:
        return [kind.resource_type]
    return required
