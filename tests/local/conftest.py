"""The local runtime's tier: each resource type's local behaviour, on small templates
deployed into the local AWS by the same walker and runtime as the dev stage."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from shared.config import StageName
from shared.local.clock import LocalClock
from shared.local.stage import LocalStage
from tests.local.templates import assembly

FAST_CLOCK = LocalClock(speed=600)

StageOf = Callable[..., Any]


@pytest.fixture
def stage_of(platform_config, tmp_path) -> StageOf:
    """``with stage_of(template, ...) as stage:`` the templates deployed, the runtime running."""

    @contextmanager
    def deployed(*templates: Mapping[str, Any], **options: Any) -> Iterator[LocalStage]:
        with LocalStage(
            platform_config,
            StageName.DEV,
            workdir=tmp_path / "run",
            assembly=assembly(tmp_path, *templates),
            clock=options.pop("clock", FAST_CLOCK),
            **options,
        ) as stage:
            yield stage

    return deployed
