"""The integration tier: one stage provisioned in the local AWS, with its event delivery and
Glue executor running, shared by the module's tests.

The fixtures the post-deploy tests take (``aws_session``, ``naming``, ``settings``,
``run_polling``) are given here for the local stage, so the same assertions run against moto
here and against AWS after a deployment.
"""

from __future__ import annotations

import pytest

from shared.config import StageName
from shared.local.run import LocalStage
from shared.naming import StageNaming
from tests.post_deploy.conftest import RunPolling

FAST_RETRIES = (0.1, 0.2)


@pytest.fixture(scope="module")
def local_stage(platform_config, spark, tmp_path_factory):
    """The dev stage in the local AWS, fresh for each test module."""
    workdir = tmp_path_factory.mktemp("local-run")
    with LocalStage(
        platform_config, StageName.DEV, workdir=workdir, retry_delays=FAST_RETRIES
    ) as stage:
        yield stage


@pytest.fixture(scope="module")
def aws_session(local_stage):
    return local_stage.session


@pytest.fixture(scope="module")
def naming(local_stage) -> StageNaming:
    return local_stage.naming


@pytest.fixture(scope="module")
def settings(local_stage):
    return local_stage.settings


@pytest.fixture(scope="session")
def run_polling() -> RunPolling:
    """Local runs take seconds: look often."""
    return RunPolling(timeout_seconds=300, poll_seconds=0.5)
