"""jobs-api's settings: the ``applications.jobs-api`` section of platform.yaml (spec 001's
"Key Architecture Decisions"; where the spec is silent, what a small team's API needs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from applications_repo.parquet_to_json.contract import Column, Contract, Family
from shared.config import GlueSettings, Settings
from shared.config.models import WorkerType

MB = 1024 * 1024
LOCAL_STAGES = ("dev",)
"""The stages where the API may run without authentication (the local stage is dev's)."""
Auth = Literal["none", "iam", "api_key"]


class JobsApiSettings(Settings):
    """Who may call the API, what an upload may be, how the conversion runs."""

    auth: Auth = "iam"
    """How callers authenticate: ``iam`` (SigV4-signed requests, IAM policies say who),
    ``api_key`` (an ``x-api-key`` of the API's usage plan), or ``none``, accepted for a local
    or dev stage only. Spec: 001, "No authentication (prototype environment)"; a prod
    deployment must not be a prototype."""
    allowed_origins: tuple[str, ...] = ("http://localhost:5173",)
    """The web origins whose pages may call the API and upload (CORS); the UI's development
    server is the first. A local or dev stage also allows the local web UI's origin
    (``ui_port``). Spec: 001, "React frontend (local development)"."""
    ui_port: Annotated[int, Field(ge=1024, le=65535)] = 5180
    """The port of 127.0.0.1 where ``make ui`` and ``gdp run --keep`` serve the web UI, an
    allowed origin of a local or dev stage. Spec: none."""
    max_upload_mb: Annotated[int, Field(ge=1, le=5120)] = 512
    """The largest Parquet file an upload may carry (a condition of its pre-signed POST).
    Spec: none."""
    upload_url_seconds: Annotated[int, Field(ge=60, le=3600)] = 900
    """How long a pre-signed upload stays valid. Spec: none."""
    download_url_seconds: Annotated[int, Field(ge=60, le=3600)] = 300
    """How long a pre-signed download stays valid (short-lived: no bucket is public).
    Spec: 001, "Output Storage: public read access", replaced by pre-signed downloads."""
    page_size: Annotated[int, Field(ge=1, le=100)] = 20
    """Jobs per page of ``GET /jobs`` when the request names no ``limit``. Spec: none."""
    throttle_rate: Annotated[float, Field(gt=0, le=10_000)] = 50.0
    """Requests a second the usage plan lets through, on average. Spec: none."""
    throttle_burst: Annotated[int, Field(ge=1, le=5000)] = 100
    """Requests the usage plan lets through at once. Spec: none."""
    idempotency_hours: Annotated[int, Field(ge=1, le=168)] = 24
    """How long an ``Idempotency-Key`` of ``POST /trigger-job`` is remembered. Spec: none."""
    input_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Uploads are deleted after this many days. Spec: 001, "Input Storage: S3 bucket with
    30-day lifecycle policy"."""
    output_expiration_days: Annotated[int, Field(ge=1, le=3650)] | None = 90
    """Converted JSON is deleted after this many days; ``null`` keeps it. Spec: none."""
    required_columns: dict[str, Family] = Field(default_factory=dict)
    """Columns every uploaded file must have, with their kind (an empty map accepts any
    Parquet file). Spec: none."""
    single_node_max_mb: Annotated[int, Field(ge=0, le=1024)] = 128
    """Files up to this size are converted by a Lambda function with Arrow, larger ones by
    the Glue Spark job. Spec: 001, "AWS Glue (Python Shell)": Glue's Python shell runs only
    Python 3.9, so the single-node path is a function whose Python the tests run."""
    single_node_memory_mb: Annotated[int, Field(ge=512, le=10_240)] = 2048
    """The single-node function's memory (and CPU share). Spec: none."""
    worker_type: WorkerType = "G.1X"
    """The Spark job's workers. Spec: none."""
    max_workers: Annotated[int, Field(ge=2, le=299)] = 10
    """The Spark job's most workers (auto scaling from 2). Spec: 001, "Auto-scaling"."""
    timeout_minutes: Annotated[int, Field(ge=1, le=2880)] = 60
    """Minutes before Glue stops a Spark run. Spec: none."""
    stuck_after_minutes: Annotated[int, Field(ge=1, le=10_080)] = 70
    """A conversion with no progress for this long is marked FAILED by the sweeper. Spec:
    none."""
    sweep_minutes: Annotated[int, Field(ge=1, le=1440)] = 5
    """The sweeper starts waiting conversions and fails stuck ones this often. Spec: none."""

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> JobsApiSettings:
        stage = (info.context or {}).get("stage")
        if self.auth == "none" and stage is not None and stage not in LOCAL_STAGES:
            raise ValueError(
                f"auth: none is accepted for a local or dev stage only, not {stage}: "
                "set iam or api_key"
            )
        self._stage = stage
        if self.stuck_after_minutes <= self.timeout_minutes:
            raise ValueError(
                f"stuck_after_minutes ({self.stuck_after_minutes}) must exceed timeout_minutes "
                f"({self.timeout_minutes}): a run is stuck only once Glue would have stopped it"
            )
        return self

    _stage: str | None = PrivateAttr(default=None)

    @property
    def local_origin(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    @property
    def origins(self) -> tuple[str, ...]:
        """``allowed_origins``, and in a local or dev stage the local web UI's."""
        local = (self.local_origin,) if self._stage in LOCAL_STAGES else ()
        return tuple(dict.fromkeys((*self.allowed_origins, *local)))

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * MB

    @property
    def single_node_max_bytes(self) -> int:
        return self.single_node_max_mb * MB

    def contract(self) -> Contract:
        """What every upload is checked against (the conversion's schema, no row rules)."""
        return Contract(tuple(Column(n, f, True) for n, f in self.required_columns.items()))

    def glue(self, stage: GlueSettings) -> GlueSettings:
        """The stage's Glue settings with the conversion job's workers and timeout (retries
        off: run queuing takes what Glue refuses)."""
        return GlueSettings.model_validate(
            {
                **stage.model_dump(),
                "worker_type": self.worker_type,
                "min_workers": 2,
                "max_workers": self.max_workers,
                "timeout_minutes": self.timeout_minutes,
                "max_retries": 0,
                "run_queuing": True,
            }
        )
