"""ndjson-batching's post-deploy test, against the dev stage in the local AWS with its
schedules ticking on the local clock (the sweep ships a batch by age, as in AWS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from applications_repo.ndjson_batching.tracking import FileStatus
from shared.config import StageName
from shared.local.stage import LocalStage
from tests.integration.conftest import FAST_CLOCK
from tests.post_deploy.test_ndjson_batching import (  # noqa: F401 (collected here as well)
    test_an_uploaded_ndjson_file_is_merged_into_parquet,
    uploaded_ndjson,
)

pytestmark = pytest.mark.integration
GDP = Path(sys.executable).parent / "gdp"


@pytest.fixture(scope="module")
def local_stage(platform_config, spark, tmp_path_factory, dev_assembly):
    """The dev stage in the local AWS, its rate schedules firing on the local clock."""
    workdir = tmp_path_factory.mktemp("ndjson-run")
    with LocalStage(
        platform_config,
        StageName.DEV,
        workdir=workdir,
        assembly=dev_assembly,
        clock=FAST_CLOCK,
        ticking=True,
    ) as stage:
        yield stage


def test_gdp_ndjson_drives_the_state_manager_of_the_stage(local_stage):
    """``gdp ndjson status`` and ``requeue``, run as a user runs them against a kept local
    stage (its endpoint in the environment), invoke the stage's state manager and print its
    answer."""

    def gdp(*arguments: str) -> dict:
        done = subprocess.run(
            [str(GDP), "ndjson", *arguments, "--stage", "dev"],
            env={**os.environ, **local_stage.aws.environment},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert set(gdp("status")["counts"]) == {s.value for s in FileStatus}
    assert gdp("requeue", "--key", "nothing.ndjson") == {"requeued": [], "still_invalid": []}
