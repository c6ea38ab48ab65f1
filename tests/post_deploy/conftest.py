"""Fixtures of the post-deploy tests: the stage under test and an AWS session into it.

Run by the pipelines after each deployment, or by hand::

    make post-deploy-test APP=infrastructure STAGE=dev

With ``GDP_TEST_ROLE_ARN`` set (the pipeline sets it), the tests run as that role (the stage's
GlueTestRole); otherwise with the caller's own credentials. ``AWS_ENDPOINT_URL`` points them at
another endpoint, such as the local moto server.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import pytest

from shared.aws_session import stage_session
from shared.config import PlatformConfig, StageName, StageSettings
from shared.naming import StageNaming

SESSION_NAME = "gdp-post-deploy-tests"


@pytest.fixture(scope="session")
def stage(pytestconfig: pytest.Config) -> StageName:
    return StageName(pytestconfig.getoption("--stage"))


@pytest.fixture(scope="session")
def naming(platform_config: PlatformConfig, stage: StageName) -> StageNaming:
    return StageNaming.of(platform_config, stage)


@pytest.fixture(scope="session")
def settings(platform_config: PlatformConfig, stage: StageName) -> StageSettings:
    return platform_config.stages.get(stage)


@dataclass(frozen=True)
class RunPolling:
    """How long to wait for a Glue run, and how often to look."""

    timeout_seconds: float
    poll_seconds: float


@pytest.fixture(scope="session")
def run_polling() -> RunPolling:
    """In AWS a run takes minutes: look every few seconds, for up to half an hour."""
    return RunPolling(timeout_seconds=30 * 60, poll_seconds=5)


@pytest.fixture(scope="session")
def aws_session(naming: StageNaming) -> boto3.Session:
    """A session in the stage's account: as GlueTestRole when the pipeline names it."""
    return stage_session(naming, SESSION_NAME)


@pytest.fixture(scope="session")
def jobs_api(aws_session: boto3.Session, naming: StageNaming, platform_config: PlatformConfig):
    """A client of the stage's jobs-api, its requests signed unless the stage's auth is
    ``none`` (the API's id found by its name)."""
    from applications_repo.jobs_api.application import JOBS_API  # noqa: PLC0415
    from applications_repo.jobs_api.client import JobsApiClient  # noqa: PLC0415
    from applications_repo.jobs_api.names import JobsApiNames  # noqa: PLC0415

    name = JobsApiNames(naming).rest_api
    apis = aws_session.client("apigateway").get_rest_apis(limit=500)["items"]
    [api] = [a for a in apis if a["name"] == name]
    url = f"https://{api['id']}.execute-api.{naming.region}.amazonaws.com/{naming.stage}"
    auth = JOBS_API.context(platform_config, naming.stage).app.auth
    return JobsApiClient(url, session=aws_session if auth == "iam" else None)
