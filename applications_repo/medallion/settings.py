"""medallion's settings: the ``applications.medallion`` section of platform.yaml (spec 004's
values are the defaults)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from shared.config import GlueSettings, Settings
from shared.config.models import WorkerType

CRON = re.compile(r"(cron|rate)\(.+\)")
MB = 1024 * 1024


class MedallionSettings(Settings):
    """When the pipeline runs, how it reads the API, how the job writes each layer."""

    schedule: str = "cron(0 9 * * ? *)"
    """When the daily execution starts (EventBridge Scheduler, UTC). Spec: 004, "Runs daily
    at 9 AM UTC (configurable)"."""
    success_by_hour: Annotated[int, Field(ge=0, le=23)] = 11
    """Alarm when no execution has succeeded by this hour (UTC) of the day. Spec: none."""
    api_page_size: Annotated[int, Field(ge=1, le=1000)] = 100
    """Records asked for per API page. Spec: 004, "Fetch data with pagination"."""
    api_request_attempts: Annotated[int, Field(ge=1, le=10)] = 5
    """Attempts of one API request through 429s and 5xx before the ingestion fails (the state
    machine then retries the function, which resumes at its checkpoint). Spec: 004, "Retry 3
    times with exponential backoff" (that is the function's retries, below)."""
    api_timeout_seconds: Annotated[int, Field(ge=1, le=60)] = 10
    """How long one API request may take. Spec: none."""
    max_retry_after_seconds: Annotated[int, Field(ge=1, le=240)] = 60
    """The longest ``Retry-After`` the function waits; a longer one fails the attempt, which
    the state machine retries later. Spec: 004, "Handling API rate limits"."""
    ingestion_memory_mb: Annotated[int, Field(ge=128, le=10_240)] = 512
    """The ingestion function's memory. Spec: 004, "Memory: 512 MB"."""
    ingestion_timeout_minutes: Annotated[int, Field(ge=1, le=15)] = 5
    """How long one ingestion attempt may run (it stops, checkpointed, before). Spec: 004,
    "Timeout: Set to 5 minutes"."""
    ingestion_concurrency: Annotated[int, Field(ge=1, le=1000)] = 10
    """Reserved concurrency of the ingestion function. Spec: 004, "Concurrent executions: 10
    (prevents API rate limit)"."""
    ingestion_retries: Annotated[int, Field(ge=0, le=10)] = 3
    """The state machine's retries of a failed ingestion, with exponential back-off. Spec:
    004, "API Failure: Retry 3 times with exponential backoff"."""
    job_retries: Annotated[int, Field(ge=0, le=10)] = 2
    """The state machine's retries of a failed Glue run. Spec: 004, "Job Failure: Retry 2
    times via Step Functions"."""
    job_timeout_minutes: Annotated[int, Field(ge=1, le=2880)] = 30
    """Minutes before Glue stops a transform run. Spec: 004, "Timeout: Set to 30 minutes"
    (Glue job errors)."""
    execution_timeout_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    """How long one execution (all its run dates) may take. Spec: 004, "Timeout: Set to 60
    minutes total"."""
    backfill_concurrency: Annotated[int, Field(ge=1, le=40)] = 3
    """Run dates of one execution processed at once (a back-fill's Map). Spec: none."""
    crawler_poll_seconds: Annotated[int, Field(ge=5, le=600)] = 30
    """How often the state machine asks whether the crawler finished. Spec: none."""
    worker_type: WorkerType = "G.1X"
    """The Glue jobs' workers. Spec: 004, "Worker type: G.1X"."""
    min_workers: Annotated[int, Field(ge=2, le=299)] = 2
    """The jobs' fewest workers (auto scaling starts there). Spec: 004, "DPU: 2 (start small,
    scale up)"."""
    max_workers: Annotated[int, Field(ge=2, le=299)] = 10
    """The jobs' most workers. Spec: 004, "Max capacity: 10 DPU (cost control)"."""
    target_file_mb: Annotated[int, Field(ge=1, le=1024)] = 128
    """Gold Parquet files are written about this large. Spec: 004, "Target 128 MB per Parquet
    file"."""
    max_rejected_percent: Annotated[float, Field(ge=0, le=100)] = 20.0
    """The quality gate between bronze and silver: a run date with more of its records
    rejected fails, and nothing of it reaches gold. Spec: 004, "Data Quality: Skip bad
    records, log to CloudWatch" (bad records are skipped, kept with their reason; too many
    stop the run)."""
    natural_key: str = "order_id"
    """What identifies a record: of two with the same key, the later ``updated_at`` is kept.
    Spec: 004, "Data cleaning (nulls, duplicates, formats)"."""
    raw_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Bronze pages and manifests expire after this many days. Spec: 004, "Lifecycle rules
    (delete raw after 30 days)"."""
    processed_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 90
    """Silver records and rejects are kept this long. Spec: none."""
    curated_tiering_days: Annotated[int, Field(ge=0, le=3650)] = 30
    """Gold objects move to S3 Intelligent-Tiering after this many days. Spec: 004, "Use S3
    Intelligent-Tiering for older data"."""
    compaction_schedule: str = "cron(0 3 ? * SUN *)"
    """When the weekly compaction of small gold files runs. Spec: 004, "Compaction: Weekly job
    to merge small files"."""
    compaction_days: Annotated[int, Field(ge=1, le=366)] = 35
    """How many of the latest days the compaction looks at. Spec: none."""
    dpu_hour_usd: Annotated[float, Field(gt=0)] = 0.44
    """The Glue price per DPU-hour the cost per execution is computed with (us-east-1,
    on-demand, 2025). Spec: 004, "Cost per execution"."""
    athena_scan_limit_gb: Annotated[int, Field(ge=1, le=10_000)] = 10
    """The workgroup refuses queries that would scan more. Spec: 004, "Pay per query ($5 per
    TB scanned)"."""

    @field_validator("schedule", "compaction_schedule")
    @classmethod
    def _expression(cls, value: str) -> str:
        if not CRON.fullmatch(value):
            raise ValueError(f"{value!r} is not a cron(...) or rate(...) expression")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MedallionSettings:
        self.glue(GlueSettings())
        return self

    @property
    def target_file_bytes(self) -> int:
        return self.target_file_mb * MB

    def glue(self, stage: GlueSettings) -> GlueSettings:
        """The stage's Glue settings with the job's own workers and timeout; the state machine
        retries a run, so Glue does not."""
        return GlueSettings.model_validate(
            {
                **stage.model_dump(),
                "worker_type": self.worker_type,
                "min_workers": self.min_workers,
                "max_workers": self.max_workers,
                "timeout_minutes": self.job_timeout_minutes,
                "max_retries": 0,
                "max_concurrent_runs": self.backfill_concurrency,
                "run_queuing": True,
            }
        )
