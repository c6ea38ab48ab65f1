"""The integration tier: the dev stage deployed into the local AWS from the pipeline's own
synthesized templates, with the local runtime running, shared by the module's tests.

The fixtures the post-deploy tests take (``aws_session``, ``naming``, ``settings``,
``run_polling``) are given here for the local stage, so the same assertions run against moto
here and against AWS after a deployment.
"""

from __future__ import annotations

import pytest
import yaml

from shared.config import StageName, load_config, resolve_config_path
from shared.local.clock import LocalClock
from shared.local.stage import LocalStage
from shared.naming import StageNaming
from tests.post_deploy.conftest import RunPolling

FAST_CLOCK = LocalClock(speed=600)
"""Lambda's retry back-off of one and two minutes takes 0.1 and 0.2 seconds."""


@pytest.fixture(scope="module")
def local_stage(platform_config, spark, tmp_path_factory, dev_assembly):
    """The dev stage in the local AWS, fresh for each test module."""
    workdir = tmp_path_factory.mktemp("local-run")
    with LocalStage(
        platform_config, StageName.DEV, workdir=workdir, assembly=dev_assembly, clock=FAST_CLOCK
    ) as stage:
        yield stage


@pytest.fixture(scope="module")
def spark_stage(pytestconfig, spark, tmp_path_factory):
    """The dev stage with ``glue.single_node_max_bytes: 0``: every upload runs on Glue with
    Spark, as a file above the single-node size does (synthesized for it, fresh for each
    test module). For the Glue path's own behaviour: its queue, its refusals, its alerts."""
    workdir = tmp_path_factory.mktemp("spark-run")
    document = yaml.safe_load(resolve_config_path(pytestconfig.getoption("--config")).read_text())
    document["stage_defaults"]["glue"]["single_node_max_bytes"] = 0
    config_path = workdir / "platform.yaml"
    config_path.write_text(yaml.safe_dump(document))
    with LocalStage(
        load_config(config_path),
        StageName.DEV,
        workdir=workdir,
        config_path=str(config_path),
        clock=FAST_CLOCK,
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


@pytest.fixture(scope="session")
def assemblies(tmp_path_factory, infrastructure, applications):
    """The tests' synthesized apps as ``gdp synth --outdir`` lays them out, for
    ``gdp run --assembly``: a subprocess deploys the same templates without synthesizing."""
    root = tmp_path_factory.mktemp("assemblies")
    (root / "infrastructure").symlink_to(infrastructure.outdir)
    (root / "applications").symlink_to(applications.outdir)
    return root
