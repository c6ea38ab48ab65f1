"""A boto3 session in a stage's account: as the role ``GDP_TEST_ROLE_ARN`` names when it is set
(the pipeline's post-deploy and pre-deploy steps assume the stage's GlueTestRole), else the
caller's own credentials."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from shared.errors import PlatformError
from shared.naming import StageNaming

if TYPE_CHECKING:
    import boto3

ROLE_ENV_VAR = "GDP_TEST_ROLE_ARN"


def stage_session(naming: StageNaming, session_name: str) -> boto3.Session:
    """The session, in the stage's region."""
    import boto3  # noqa: PLC0415 (imported when used: every `gdp` command imports this module)

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


class FunctionFailedError(PlatformError):
    """A function invoked for a command failed on its request."""


def invoke_function(
    naming: StageNaming, function_name: str, event: dict[str, Any], session_name: str
) -> Any:
    """Invoke a function of the stage (an application's operators' tool) and return its
    answer; its error, in one line, raises ``FunctionFailedError``."""
    response = (
        stage_session(naming, session_name)
        .client("lambda")
        .invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
    )
    answer = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        message = answer.get("errorMessage", answer) if isinstance(answer, dict) else answer
        raise FunctionFailedError(f"{function_name}: {message}")
    return answer
