"""Test-wide options and fixtures.

Tiers: ``tests/unit`` (pure code, moto), ``tests/cdk`` (synthesized templates, cdk-nag,
cfn-lint), ``tests/post_deploy`` (against a deployed stage: ``--stage dev``; not collected
without it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    # each worker (make test runs three) stages its own bundles and local runs: a bundle is
    # rebuilt in place, and runs are named by the second they start
    root = Path(__file__).resolve().parents[1]
    os.environ.setdefault("GDP_BUILD_ROOT", str(root / "build" / worker))
    os.environ.setdefault("GDP_LOCAL_RUN_ROOT", str(root / ".local-run" / worker))

from shared.config import PlatformConfig, load_config

POST_DEPLOY_DIR = "post_deploy"
pytest_plugins = ["tests.synthesized"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stage",
        choices=["dev", "prod"],
        help="run the post-deploy tests against this deployed stage",
    )
    parser.addoption(
        "--config", help="config file of the stage under test (default: platform.yaml)"
    )


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    """Post-deploy tests need a deployed stage; collect them only when one is named."""
    if collection_path.name == POST_DEPLOY_DIR and not config.getoption("--stage"):
        return True
    return None


LONGEST_FIRST = (
    "tests/integration/test_throwaway_application.py",
    "tests/integration/",
    "tests/local/",
    "tests/spark/",
)
"""Where the slowest modules are: collected first, so that the workers, which take whole
modules in collection order, do not end with one long module while the other waits."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest tiers first (``LONGEST_FIRST``), each keeping its own order."""

    def tier(item: pytest.Item) -> int:
        path = item.path.as_posix()
        found = [i for i, part in enumerate(LONGEST_FIRST) if f"/{part}" in path]
        return found[0] if found else len(LONGEST_FIRST)

    items.sort(key=tier)


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession of the test run (local, configured as the jobs configure it)."""
    from shared.glue.session import get_spark  # noqa: PLC0415 (only tests that use Spark pay)

    return get_spark("tests")


@pytest.fixture(scope="session")
def platform_config(pytestconfig: pytest.Config) -> PlatformConfig:
    """The config under test: ``--config``, else $GDP_CONFIG, else ``platform.yaml``."""
    return load_config(pytestconfig.getoption("--config"))
