"""The scoped CloudFormation execution policy the stage accounts are bootstrapped with.

CDK Pipelines deploys each stage through the CDK bootstrap roles of the stage account, trusted
by the pipeline account (``cdk bootstrap --trust``). CloudFormation then acts as the bootstrap's
execution role, which ``cdk bootstrap`` gives AdministratorAccess unless told otherwise. This
module writes the narrower policy to use instead: only the services the platform's stacks use,
and within them only resources named by the platform's conventions. Together, the trusted
deploy role and this execution policy are the spec's GlueCrossAccountRole.
"""

from __future__ import annotations

from typing import Any

from shared.config import PlatformConfig, StageName
from shared.naming import StageNaming

CDK_QUALIFIER = "hnb659fds"
EXECUTION_POLICY_PREFIX = "GlueDataPlatformCfnExecution"

# CloudFormation resource namespaces the platform's stage stacks may use, and the IAM service
# prefix each is managed through. A test checks every synthesized stage template against it.
RESOURCE_SERVICES = {
    "AWS::S3": "s3",
    "AWS::Glue": "glue",
    "AWS::KMS": "kms",
    "AWS::IAM": "iam",
    "AWS::Lambda": "lambda",
    "AWS::Events": "events",
    "AWS::SQS": "sqs",
    "AWS::SNS": "sns",
    "AWS::Logs": "logs",
    "AWS::CloudWatch": "cloudwatch",
    "AWS::DynamoDB": "dynamodb",
}
# Name prefixes of every named resource of the stage stacks (naming module, CDK-generated names
# start with the stack name, which starts with "glue-").
PLATFORM_NAME_PATTERNS = ("glue-*", "Glue*", "glue_*")
BUCKET_NAME_PATTERN = "glue-*"


def execution_policy_name(stage: StageName) -> str:
    """The name the stage's execution policy is created under in its account."""
    return f"{EXECUTION_POLICY_PREFIX}-{stage}"


def execution_policy(config: PlatformConfig, stage: StageName) -> dict[str, Any]:
    """The IAM policy document for ``cdk bootstrap --cloudformation-execution-policies``."""
    n = StageNaming.of(config, stage)
    arn = f"arn:{n.partition}"
    account_region = f"{n.region}:{n.account}"
    names = PLATFORM_NAME_PATTERNS
    project_tag = {"aws:ResourceTag/Project": config.project.name}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PlatformBuckets",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [f"{arn}:s3:::{p}" for p in names] + [f"{arn}:s3:::{p}/*" for p in names],
        },
        {
            "Sid": "ReadCdkAssets",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"],
            "Resource": [
                f"{arn}:s3:::cdk-{CDK_QUALIFIER}-assets-{n.account}-{n.region}",
                f"{arn}:s3:::cdk-{CDK_QUALIFIER}-assets-{n.account}-{n.region}/*",
            ],
        },
        {
            "Sid": "PlatformGlueResources",
            "Effect": "Allow",
            "Action": "glue:*",
            "Resource": [
                f"{arn}:glue:{account_region}:catalog",
                f"{arn}:glue:{account_region}:database/*_{stage}",
                f"{arn}:glue:{account_region}:table/*_{stage}/*",
                f"{arn}:glue:{account_region}:job/*-{stage}",
                f"{arn}:glue:{account_region}:trigger/*-{stage}",
                f"{arn}:glue:{account_region}:crawler/*-{stage}",
            ],
        },
        {
            "Sid": "GlueSecurityConfigurations",
            "Effect": "Allow",
            "Action": [
                "glue:CreateSecurityConfiguration",
                "glue:DeleteSecurityConfiguration",
                "glue:GetSecurityConfiguration",
                "glue:GetSecurityConfigurations",
            ],
            "Resource": "*",
        },
        {
            "Sid": "PlatformRolesAndPolicies",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:PassRole",
                "iam:CreatePolicy",
                "iam:DeletePolicy",
                "iam:GetPolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:GetPolicyVersion",
                "iam:ListPolicyVersions",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": [f"{arn}:iam::{n.account}:role/{p}" for p in names]
            + [f"{arn}:iam::{n.account}:policy/{p}" for p in names],
        },
        {
            "Sid": "CreateProjectKeys",
            "Effect": "Allow",
            "Action": ["kms:CreateKey", "kms:TagResource"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestTag/Project": config.project.name}},
        },
        {
            "Sid": "ManageProjectKeys",
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": f"{arn}:kms:{account_region}:key/*",
            "Condition": {"StringEquals": project_tag},
        },
        {
            "Sid": "ManagePlatformKeyAliases",
            "Effect": "Allow",
            "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            "Resource": [f"{arn}:kms:{account_region}:alias/{p}" for p in names],
        },
        {
            "Sid": "PlatformFunctions",
            "Effect": "Allow",
            "Action": "lambda:*",
            "Resource": [f"{arn}:lambda:{account_region}:function:{p}" for p in names]
            + [f"{arn}:lambda:{account_region}:layer:*"],
        },
        {
            "Sid": "ReadPublicLayers",
            "Effect": "Allow",
            "Action": "lambda:GetLayerVersion",
            "Resource": "*",
        },
        {
            "Sid": "PlatformLogGroups",
            "Effect": "Allow",
            "Action": "logs:*",
            "Resource": [f"{arn}:logs:{account_region}:log-group:/aws/lambda/{p}" for p in names]
            + [f"{arn}:logs:{account_region}:log-group:/aws-glue/*"],
        },
        {
            "Sid": "PlatformQueuesTopicsRulesAlarms",
            "Effect": "Allow",
            "Action": ["sqs:*", "sns:*", "events:*", "cloudwatch:*"],
            "Resource": [f"{arn}:sqs:{account_region}:{p}" for p in names]
            + [f"{arn}:sns:{account_region}:{p}" for p in names]
            + [f"{arn}:events:{account_region}:rule/{p}" for p in names]
            + [f"{arn}:cloudwatch:{account_region}:alarm:{p}" for p in names]
            + [f"{arn}:cloudwatch::{n.account}:dashboard/{p}" for p in names],
        },
        {
            "Sid": "PlatformTables",
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": [f"{arn}:dynamodb:{account_region}:table/{p}" for p in names],
        },
        {
            "Sid": "ReadBootstrapVersion",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": f"{arn}:ssm:{account_region}:parameter/cdk-bootstrap/{CDK_QUALIFIER}/*",
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}
