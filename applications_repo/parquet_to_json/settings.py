"""parquet-to-json's settings: the ``applications.parquet-to-json`` section of platform.yaml
(spec 000's Technical Specifications; its values are the defaults)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from applications_repo.parquet_to_json.contract import (
    Before,
    Column,
    Contract,
    Family,
    NonNegative,
    Range,
    Rule,
)
from shared.config import GlueSettings, Settings
from shared.config.models import PositiveInt, WorkerType

MB = 1024 * 1024
PARQUET_MIN_BYTES = 12
"""The smallest Parquet file: magic, footer length and magic again."""


class SchemaColumn(Settings):
    """One column of the taxi schema."""

    type: Family
    """The kind of values it holds (integer, number, timestamp, date, string, boolean)."""
    required: bool = True
    """A file without it is rejected; an optional column may be absent (TLC added
    ``congestion_surcharge`` in 2019, ``Airport_fee`` in 2022, ``cbd_congestion_fee`` in 2025)."""


class ValueRange(Settings):
    """Inclusive bounds of a numeric column."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.max < self.min:
            raise ValueError(f"max ({self.max:g}) is below min ({self.min:g})")
        return self


class QualitySettings(Settings):
    """The data quality rules every row is checked by; a row breaking one is kept with its
    reasons among the rejects, and each rule's count is stored with the run."""

    non_negative: tuple[str, ...] = ("fare_amount", "trip_distance")
    """Columns that must not be negative. Spec: 000, "Data quality checks"."""
    ranges: dict[str, ValueRange] = Field(
        default_factory=lambda: {"passenger_count": ValueRange(min=0, max=9)}
    )
    """Columns that must lie in a range (TLC meters record 0 to 9 passengers)."""
    before: tuple[tuple[str, str], ...] = (("tpep_pickup_datetime", "tpep_dropoff_datetime"),)
    """Pairs of timestamp columns where the first must be earlier than the second."""


def _tlc_yellow_schema() -> dict[str, SchemaColumn]:
    """The TLC yellow taxi trip records' columns (data dictionary of 2024)."""
    integer, number = Family.INTEGER, Family.NUMBER
    columns: dict[str, tuple[Family, bool]] = {
        "VendorID": (integer, True),
        "tpep_pickup_datetime": (Family.TIMESTAMP, True),
        "tpep_dropoff_datetime": (Family.TIMESTAMP, True),
        "passenger_count": (number, True),
        "trip_distance": (number, True),
        "RatecodeID": (number, True),
        "store_and_fwd_flag": (Family.STRING, True),
        "PULocationID": (integer, True),
        "DOLocationID": (integer, True),
        "payment_type": (integer, True),
        "fare_amount": (number, True),
        "extra": (number, True),
        "mta_tax": (number, True),
        "tip_amount": (number, True),
        "tolls_amount": (number, True),
        "improvement_surcharge": (number, True),
        "total_amount": (number, True),
        "congestion_surcharge": (number, False),
        "Airport_fee": (number, False),
        "cbd_congestion_fee": (number, False),
    }
    return {name: SchemaColumn(type=t, required=r) for name, (t, r) in columns.items()}


class ParquetToJsonSettings(Settings):
    """What a file must be, what the job checks, and how the job and the functions run."""

    min_file_bytes: Annotated[int, Field(ge=PARQUET_MIN_BYTES)] = PARQUET_MIN_BYTES
    """Smaller uploads are rejected (a Parquet file has at least 12 bytes). Spec: 000, "Lambda
    validates file format and size"."""
    max_file_bytes: PositiveInt = 10 * 1024**3
    """Larger uploads are rejected. Spec: as above (000 names no limit)."""
    single_node_max_mb: Annotated[int, Field(ge=0, le=1024)] = 128
    """Files up to this size are converted by a Lambda function with Arrow (billed by the
    millisecond), larger ones by the Glue Spark job. JSON is 5 to 8 times the size of its
    Parquet, so the bound is lower than FileProcessorV2's. Spec: none."""
    single_node_memory_mb: Annotated[int, Field(ge=512, le=10_240)] = 2048
    """The single-node function's memory (and CPU share). Spec: none."""
    single_node_timeout_seconds: Annotated[int, Field(ge=60, le=900)] = 900
    """How long one single-node run may take. Spec: none."""
    single_node_concurrency: Annotated[int, Field(ge=1, le=1000)] | None = 10
    """Single-node runs at once; ``null``: no reserved concurrency. Spec: none."""
    worker_type: WorkerType = "G.1X"
    """The Spark job's workers. Spec: 000, "Worker Type: G.1X"."""
    min_workers: Annotated[int, Field(ge=2, le=299)] = 2
    """The Spark job's fewest workers (auto scaling starts there). Spec: 000, "Number of
    Workers: Auto-scaling (2-10)"."""
    max_workers: Annotated[int, Field(ge=2, le=299)] = 10
    """The Spark job's most workers. Spec: 000, "Number of Workers: Auto-scaling (2-10)"."""
    timeout_minutes: Annotated[int, Field(ge=1, le=2880)] = 60
    """Minutes before Glue stops a Spark run. Spec: 000, "Timeout: 60 minutes"."""
    max_retries: Annotated[int, Field(ge=0, le=10)] = 2
    """Glue retries of a failed Spark run (each attempt takes the run over). Spec: 000, "Max
    Retries: 2". Glue allows retries only without run queuing, so a run Glue refuses
    (ConcurrentRunsExceeded) waits PENDING and the sweeper starts it."""
    max_concurrent_runs: Annotated[int, Field(ge=1, le=1000)] = 10
    """Spark runs at once. Spec: none."""
    batch_rows: Annotated[int, Field(ge=1024, le=1_048_576)] = 65_536
    """Rows converted and written at a time by the single-node engine (memory stays bounded
    by it whatever the file's size). Spec: 000, "streaming batches"."""
    progress_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    """A run records its progress in its metadata item at most this often. Spec: 000, "Update
    record with progress information"."""
    stuck_after_minutes: Annotated[int, Field(ge=1, le=10_080)] = 70
    """A run with no progress for this long is marked FAILED by the sweeper (past the job's
    timeout, each attempt records its start). Spec: none (000 leaves a dead run's record
    as it is)."""
    sweep_minutes: Annotated[int, Field(ge=1, le=1440)] = 5
    """The sweeper starts waiting runs and marks stuck ones this often. Spec: none."""
    duration_alarm_minutes: Annotated[int, Field(ge=1, le=2880)] = 30
    """Alarm when a conversion takes longer. Spec: 000, "Processing time exceeding
    thresholds"."""
    schema_columns: dict[str, SchemaColumn] = Field(default_factory=_tlc_yellow_schema)
    """The columns every file is checked against (names compared without case); other
    columns are reported and kept. Spec: 000, "Schema validation ensures data integrity"."""
    quality: QualitySettings = QualitySettings()
    """Spec: 000, "Data quality checks during transformation"."""

    @model_validator(mode="after")
    def _consistent(self) -> ParquetToJsonSettings:
        if self.max_file_bytes < self.min_file_bytes:
            raise ValueError(
                f"max_file_bytes ({self.max_file_bytes}) is below min_file_bytes "
                f"({self.min_file_bytes})"
            )
        if self.stuck_after_minutes <= self.timeout_minutes:
            raise ValueError(
                f"stuck_after_minutes ({self.stuck_after_minutes}) must exceed timeout_minutes "
                f"({self.timeout_minutes}): a run is stuck only once Glue would have stopped it"
            )
        self.glue(GlueSettings())
        families = {name: column.type for name, column in self.schema_columns.items()}
        numeric = {Family.INTEGER, Family.NUMBER}
        checked = [(c, numeric) for c in (*self.quality.non_negative, *self.quality.ranges)]
        checked += [(c, {Family.TIMESTAMP}) for pair in self.quality.before for c in pair]
        for column, allowed in checked:
            if families.get(column) not in allowed:
                raise ValueError(
                    f"quality rule on {column!r}: the schema has no "
                    f"{' or '.join(sorted(allowed))} column of that name"
                )
        return self

    @property
    def single_node_max_bytes(self) -> int:
        return self.single_node_max_mb * MB

    def glue(self, stage: GlueSettings) -> GlueSettings:
        """The stage's Glue settings with the job's own workers, timeout and retries."""
        return GlueSettings.model_validate(
            {
                **stage.model_dump(),
                "worker_type": self.worker_type,
                "min_workers": self.min_workers,
                "max_workers": self.max_workers,
                "timeout_minutes": self.timeout_minutes,
                "max_retries": self.max_retries,
                "max_concurrent_runs": self.max_concurrent_runs,
                "run_queuing": self.max_retries == 0,
            }
        )

    def contract(self) -> Contract:
        """The schema and rules, as the job receives them."""
        rules: tuple[Rule, ...] = (
            *(NonNegative(c) for c in self.quality.non_negative),
            *(Range(c, r.min, r.max) for c, r in self.quality.ranges.items()),
            *(Before(a, b) for a, b in self.quality.before),
        )
        columns = tuple(
            Column(name, column.type, column.required)
            for name, column in self.schema_columns.items()
        )
        return Contract(columns, rules)
