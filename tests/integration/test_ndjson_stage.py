"""ndjson-batching's post-deploy test, against the dev stage in the local AWS with its
schedules ticking on the local clock (the sweep ships a batch by age, as in AWS)."""

from __future__ import annotations

import json

import pytest

from applications_repo.ndjson_batching.tracking import FileStatus
from shared.cli.main import build_parser
from shared.config import StageName
from shared.local.stage import LocalStage
from tests.integration.conftest import FAST_CLOCK
from tests.post_deploy.test_ndjson_batching import (  # noqa: F401 (collected here as well)
    test_an_uploaded_ndjson_file_is_merged_into_parquet,
    uploaded_ndjson,
)

pytestmark = pytest.mark.integration


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


def test_gdp_ndjson_drives_the_state_manager_of_the_stage(local_stage, capsys):
    """``gdp ndjson status`` and ``requeue`` invoke the stage's state manager and print its
    answer."""
    parser = build_parser()
    args = parser.parse_args(["ndjson", "status", "--stage", "dev"])
    assert args.handler(args) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer["counts"]) == {s.value for s in FileStatus}
    args = parser.parse_args(["ndjson", "requeue", "--stage", "dev", "--key", "nothing.ndjson"])
    assert args.handler(args) == 0
    assert json.loads(capsys.readouterr().out) == {"requeued": [], "still_invalid": []}
