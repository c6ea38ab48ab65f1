"""The IAM evaluator follows AWS's evaluation logic on the elements the platform uses."""

from __future__ import annotations

import pytest

from shared.deployability.iam_policy import Decision, PolicyError, Principal, Request, evaluate

BUCKET = "arn:aws:s3:::glue-input-dev-222222222222"


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def decide(document: dict, action: str, resource: str = "*", **kwargs) -> Decision:
    return evaluate([document], Request(action, resource, **kwargs)).decision


def test_actions_match_case_insensitively_with_wildcards():
    document = policy({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"})
    assert decide(document, "S3:getobject") is Decision.ALLOW
    assert decide(document, "s3:PutObject") is Decision.IMPLICIT_DENY


def test_resources_match_case_sensitively_and_question_mark_is_one_character():
    document = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::glue-?nput-*"}
    )
    assert decide(document, "s3:ListBucket", BUCKET) is Decision.ALLOW
    assert decide(document, "s3:ListBucket", BUCKET.upper()) is Decision.IMPLICIT_DENY
    assert decide(document, "s3:ListBucket", "arn:aws:s3:::glue-iinput-x") is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow():
    document = policy(
        {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": BUCKET},
    )
    result = evaluate([document], Request("s3:DeleteBucket", BUCKET))
    assert result.decision is Decision.EXPLICIT_DENY
    assert result.statements == ("NoDelete",)


def test_not_action_and_not_resource_match_everything_else():
    document = policy(
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret*"}
    )
    assert decide(document, "s3:GetObject", BUCKET) is Decision.ALLOW
    assert decide(document, "iam:CreateRole", BUCKET) is Decision.IMPLICIT_DENY
    assert decide(document, "s3:GetObject", "arn:aws:s3:::secrets") is Decision.IMPLICIT_DENY


def test_string_conditions_need_the_key_unless_negated_or_if_exists():
    equals = policy(
        {
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/Project": "glue-data-pipeline"}},
        }
    )
    tagged = {"aws:resourcetag/project": "glue-data-pipeline"}
    assert decide(equals, "kms:EnableKeyRotation", context=tagged) is Decision.ALLOW
    assert decide(equals, "kms:EnableKeyRotation") is Decision.IMPLICIT_DENY
    if_exists = policy(
        {
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {
                "StringEqualsIfExists": {"aws:ResourceTag/Project": "glue-data-pipeline"}
            },
        }
    )
    assert decide(if_exists, "kms:EnableKeyRotation") is Decision.ALLOW
    other = {"aws:ResourceTag/Project": "other"}
    assert decide(if_exists, "kms:EnableKeyRotation", context=other) is Decision.IMPLICIT_DENY
    negated = policy(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": "999999999999"}},
        },
    )
    assert decide(negated, "sns:Publish") is Decision.ALLOW
    insecure = {"aws:SecureTransport": "false"}
    assert decide(negated, "sns:Publish", context=insecure) is Decision.EXPLICIT_DENY


def test_arn_like_null_numeric_and_set_operators():
    document = policy(
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": "*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:events:*:222222222222:rule/glue-*"},
                "Null": {"aws:SourceAccount": "false"},
                "NumericLessThanEquals": {"s3:max-keys": "10"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Owner"]},
            },
        }
    )
    context = {
        "aws:SourceArn": "arn:aws:events:us-east-1:222222222222:rule/glue-object-created-dev",
        "aws:SourceAccount": "222222222222",
        "s3:max-keys": "5",
        "aws:TagKeys": ["Project"],
    }
    assert decide(document, "sqs:SendMessage", context=context) is Decision.ALLOW
    assert decide(document, "sqs:SendMessage", context={**context, "s3:max-keys": "11"}) is (
        Decision.IMPLICIT_DENY
    )
    assert (
        decide(document, "sqs:SendMessage", context={**context, "aws:TagKeys": ["Project", "Team"]})
        is Decision.IMPLICIT_DENY
    )
    without_account = {k: v for k, v in context.items() if k != "aws:SourceAccount"}
    assert decide(document, "sqs:SendMessage", context=without_account) is Decision.IMPLICIT_DENY
    any_value = policy(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/glue-key"}},
        }
    )
    aliases = {"kms:ResourceAliases": ["alias/a", "alias/glue-key"]}
    assert decide(any_value, "kms:Decrypt", context=aliases) is Decision.ALLOW
    assert decide(any_value, "kms:Decrypt") is Decision.IMPLICIT_DENY


def test_resource_policies_match_service_and_account_principals():
    document = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": "arn:aws:sns:us-east-1:222222222222:glue-alerts-dev",
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
    )
    topic = "arn:aws:sns:us-east-1:222222222222:glue-alerts-dev"
    cloudwatch = Principal("Service", "cloudwatch.amazonaws.com")
    events = Principal("Service", "events.amazonaws.com")
    role = Principal("AWS", "arn:aws:iam::222222222222:role/GlueServiceRole-dev")
    stranger = Principal("AWS", "arn:aws:iam::999999999999:role/x")
    assert decide(document, "sns:Publish", topic, principal=cloudwatch) is Decision.ALLOW
    assert decide(document, "sns:Publish", topic, principal=events) is Decision.IMPLICIT_DENY
    assert decide(document, "kms:Decrypt", principal=role) is Decision.ALLOW
    assert decide(document, "kms:Decrypt", principal=stranger) is Decision.IMPLICIT_DENY
    assert decide(document, "sns:Publish", topic) is Decision.IMPLICIT_DENY


def test_an_unknown_operator_is_an_error_not_a_silent_match():
    document = policy(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThanOrSo": {"aws:CurrentTime": "2030-01-01"}},
        }
    )
    with pytest.raises(PolicyError, match="DateLessThanOrSo"):
        decide(document, "s3:GetObject", context={"aws:CurrentTime": "2026-01-01"})
