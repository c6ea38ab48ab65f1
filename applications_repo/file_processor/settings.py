"""FileProcessorV2's settings: the ``applications.file-processor`` section of platform.yaml."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from shared.config import Settings
from shared.config.models import Percent, PositiveInt


class FileProcessorSettings(Settings):
    """What the trigger accepts, how long it remembers an event, when rejections alarm."""

    min_object_bytes: PositiveInt = 1
    """Smallest object the trigger accepts (empty files are rejected). Spec: none."""
    max_object_bytes: PositiveInt = 10 * 1024**3
    """Largest object the trigger accepts. Spec: none (002 Expected Performance goes to "> 1GB")."""
    idempotency_hours: Annotated[int, Field(ge=1, le=720)] = 24
    """A repeated event within this window is recognised and not run again. Spec: none."""
    rejected_files_percent: Percent = 20.0
    """Alarm when the trigger refused more than this share of the files received. Spec: none."""
    single_node_memory_mb: Annotated[int, Field(ge=512, le=10240)] = 3008
    """Memory of the single-node function (files up to ``glue.single_node_max_bytes``); it
    sets the CPU share: 1,769 MB is one vCPU, 3,008 MB about 1.7. Spec: none."""
    single_node_timeout_seconds: Annotated[int, Field(ge=60, le=900)] = 900
    """How long one single-node run may take (Lambda's limit is 900 s). Spec: none."""
    single_node_ephemeral_storage_mb: Annotated[int, Field(ge=512, le=10240)] = 2048
    """The single-node function's ``/tmp``, where a run stages its Parquet (about a third
    of the CSV's size). Spec: none."""
    single_node_concurrency: Annotated[int, Field(ge=1, le=1000)] | None = 10
    """Single-node runs at once (reserved concurrency; more wait in Lambda's queue, retried
    for up to 6 hours); ``null`` for no reservation (accounts with a low concurrency quota).
    Spec: none."""

    @model_validator(mode="after")
    def _bounds_ordered(self) -> FileProcessorSettings:
        if self.max_object_bytes < self.min_object_bytes:
            raise ValueError(
                f"max_object_bytes ({self.max_object_bytes}) is below "
                f"min_object_bytes ({self.min_object_bytes})"
            )
        return self
