"""ndjson-batching's post-deploy test, against the dev stage in the local AWS with its
schedules ticking on the local clock (the sweep ships a batch by age, as in AWS)."""

from __future__ import annotations

import pytest

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
