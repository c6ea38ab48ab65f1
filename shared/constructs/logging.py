"""Encrypted log groups with managed retention."""

from __future__ import annotations

from aws_cdk import CfnResource, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from shared.config.models import LOG_RETENTION_DAYS
from shared.naming import StageNaming

KEY_DELETION_WAITING_DAYS = 30
_RETENTION = dict(zip(LOG_RETENTION_DAYS, logs.RetentionDays, strict=False))


def retention(days: int) -> logs.RetentionDays:
    """The CDK retention of a number of days the config accepts."""
    return _RETENTION[days]


class LogsKey(kms.Key):
    """A rotating KMS key that CloudWatch Logs of this account may use for the log groups
    matching ``log_group_pattern``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: StageNaming,
        alias: str,
        description: str,
        log_group_pattern: str,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            alias=alias,
            description=description,
            enable_key_rotation=True,
            pending_window=Duration.days(KEY_DELETION_WAITING_DAYS),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{naming.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": naming.log_group_arn(
                            log_group_pattern
                        )
                    }
                },
            )
        )


def encrypted_log_group(
    scope: Construct, construct_id: str, *, name: str, days: int, key: kms.IKey
) -> logs.LogGroup:
    """A log group that keeps its events ``days`` days, encrypted with ``key``."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=retention(days),
        encryption_key=key,
        removal_policy=RemovalPolicy.DESTROY,
    )


def own_provider_log_groups(stack: Stack, *, naming: StageNaming, days: int) -> None:
    """Give CDK's own custom-resource provider functions of ``stack`` (they have no logging
    setting) an encrypted, expiring ``/aws/lambda/<function>`` group before Lambda creates one
    that never expires; the custom resources depend on it, so it outlives their last call."""
    providers = [
        c
        for c in stack.node.find_all()
        if isinstance(c, CfnResource)
        and c.cfn_resource_type == "AWS::Lambda::Function"
        and not isinstance(c, lambda_.CfnFunction)
    ]
    if not providers:
        return
    key = LogsKey(
        stack,
        "ProviderLogsKey",
        naming=naming,
        alias=f"alias/{stack.stack_name}-providers",
        description=f"Encrypts the logs of the custom-resource providers of {stack.stack_name}.",
        log_group_pattern=f"/aws/lambda/{stack.stack_name}-*",
    )
    custom_resources = [
        c
        for c in stack.node.find_all()
        if isinstance(c, CfnResource) and c.cfn_resource_type.startswith("Custom::")
    ]
    for index, provider in enumerate(providers):
        group = logs.CfnLogGroup(
            stack,
            f"ProviderLogGroup{index}",
            log_group_name=Fn.join("", ["/aws/lambda/", provider.ref]),
            retention_in_days=days,
            kms_key_id=key.key_arn,
        )
        group.apply_removal_policy(RemovalPolicy.DESTROY)
        group.add_dependency(provider)
        for resource in custom_resources:
            resource.add_dependency(group)
