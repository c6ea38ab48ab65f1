"""A boto3 session in a stage's account: as the role ``GDP_TEST_ROLE_ARN`` names when it is set
(the pipeline's post-deploy and pre-deploy steps assume the stage's GlueTestRole), else the
caller's own credentials."""

from __future__ import annotations

import os

import boto3

from shared.naming import StageNaming

ROLE_ENV_VAR = "GDP_TEST_ROLE_ARN"


def stage_session(naming: StageNaming, session_name: str) -> boto3.Session:
    """The session, in the stage's region."""
    role_arn = os.environ.get(ROLE_ENV_VAR)
    if not role_arn:
        return boto3.Session(region_name=naming.region)
    credentials = boto3.client("sts", region_name=naming.region).assume_role(
        RoleArn=role_arn, RoleSessionName=session_name
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=naming.region,
    )
