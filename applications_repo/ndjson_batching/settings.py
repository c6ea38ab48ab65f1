"""ndjson-batching's settings: the ``applications.ndjson-batching`` section of platform.yaml
(spec 003's Configuration Summary; its dev values are the defaults, prod's are in
platform.yaml)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from shared.config import Settings
from shared.config.models import Percent, PositiveInt, WorkerType

MB = 1024 * 1024


class NdjsonBatchingSettings(Settings):
    """What a file must be, when a batch ships, and how the builder and the job run."""

    files_per_manifest: Annotated[int, Field(ge=1, le=10_000)] = 200
    """A batch ships when this many files are pending. Spec: 003, "Files per manifest | 200"."""
    manifest_max_mb: PositiveInt = 700
    """... or when they add up to this many MB. Spec: 003, "Batch size threshold | 700 MB"."""
    batch_max_age_seconds: Annotated[int, Field(ge=1, le=86_400)] = 900
    """... or when the oldest pending file arrived this long ago, so a trickle still ships.
    Spec: none (003 ships on count and size only; a trickle would wait forever)."""
    min_file_bytes: PositiveInt = 100_000
    """Smaller files are quarantined. Spec: 003, "File validation range | 0.1-20 MB"."""
    max_file_bytes: PositiveInt = 20_000_000
    """Larger files are quarantined. Spec: 003, "File validation range | 0.1-20 MB"."""
    validated_lines: Annotated[int, Field(ge=1, le=1000)] = 5
    """The builder checks that the first lines of a file are JSON objects. Spec: none (003:
    "Validates incoming files")."""
    builder_concurrency: Annotated[int, Field(ge=1, le=1000)] = 2
    """Manifest builders at once (reserved concurrency). Spec: 003, "Lambda concurrency | 2"
    (dev), 50 (prod)."""
    builder_timeout_seconds: Annotated[int, Field(ge=10, le=900)] = 300
    """How long one builder invocation may run. Spec: none."""
    queue_batch_size: Annotated[int, Field(ge=1, le=10)] = 10
    """S3 events per builder invocation. Spec: 003, "Batches S3 events (batch_size=10)"."""
    queue_visibility_seconds: Annotated[int, Field(ge=30, le=43_200)] = 360
    """A message the builder failed on is received again after this. Spec: 003,
    "Visibility timeout: 360 seconds"."""
    queue_max_receives: Annotated[int, Field(ge=1, le=1000)] = 5
    """Receives before a message moves to the dead-letter queue. Spec: none."""
    lease_seconds: Annotated[int, Field(ge=30, le=86_400)] = 600
    """How long a builder holds the batching lease and the files it is writing a manifest
    for; then the sweeper takes them back. Must exceed the builder's timeout, so that a lease
    expires only when its builder is gone. Spec: 003, "distributed locking"."""
    stuck_after_minutes: Annotated[int, Field(ge=1, le=10_080)] = 120
    """A file in one status longer than this is stuck: the health check alarms, ``gdp ndjson
    retry`` re-runs it. Spec: none."""
    sweep_minutes: Annotated[int, Field(ge=1, le=1440)] = 5
    """The sweeper ships aged batches and takes back expired leases this often. Spec: none."""
    health_check: bool = False
    """A scheduled health check alerts on stuck files. Spec: 003, "Scheduled health checks
    (prod only)"."""
    input_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 3
    """Input files are deleted after this many days. Spec: 003, "Lifecycle policy: 3 days
    (dev), 7 days (prod)"."""
    manifest_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Manifests are deleted after this many days. Spec: none."""
    worker_type: WorkerType = "G.1X"
    """The batch job's workers. Spec: 003, "Glue workers | 2 (G.1X)" (dev), 20 (G.2X) (prod)."""
    workers: Annotated[int, Field(ge=2, le=299)] = 2
    """The batch job's worker count. Spec: as above."""
    max_concurrent_runs: Annotated[int, Field(ge=1, le=1000)] = 1
    """Batch job runs at once. Spec: 003, "Max concurrent Glue jobs | 1" (dev), 30 (prod)."""
    target_file_mb: Annotated[int, Field(ge=1, le=1024)] = 128
    """The size of each Parquet file the job writes. Spec: 003, "Files ~128 MB each"."""
    quarantine_rate_percent: Percent = 10.0
    """Alarm when more than this share of the files received was quarantined. Spec: none."""

    @model_validator(mode="after")
    def _consistent(self) -> NdjsonBatchingSettings:
        if self.max_file_bytes < self.min_file_bytes:
            raise ValueError(
                f"max_file_bytes ({self.max_file_bytes}) is below min_file_bytes "
                f"({self.min_file_bytes})"
            )
        if self.lease_seconds <= self.builder_timeout_seconds:
            raise ValueError(
                f"lease_seconds ({self.lease_seconds}) must exceed builder_timeout_seconds "
                f"({self.builder_timeout_seconds}): a lease may expire only once its builder "
                "is gone"
            )
        if self.queue_visibility_seconds < self.builder_timeout_seconds:
            raise ValueError(
                f"queue_visibility_seconds ({self.queue_visibility_seconds}) is below "
                f"builder_timeout_seconds ({self.builder_timeout_seconds}): Lambda requires a "
                "queue's visibility timeout to be at least its function's timeout"
            )
        return self

    @property
    def manifest_max_bytes(self) -> int:
        return self.manifest_max_mb * MB
