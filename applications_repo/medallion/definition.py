"""What medallion runs in one stage: the ingestion and recorder functions, the transform and
compaction jobs, the daily workflow, and the sample API that stands in for the real one."""

from __future__ import annotations

from pathlib import Path

from applications_repo.medallion.names import MedallionNames
from applications_repo.medallion.settings import MedallionSettings
from shared.application import (
    FUNCTION_LOGGING,
    Definition,
    GlueJobDefinition,
    LocalService,
    ServiceFunction,
    Workflow,
)
from shared.naming import StageNaming

HERE = Path(__file__).parent
RUNTIME = HERE / "runtime"
INGESTION_HANDLER = "applications_repo.medallion.runtime.ingestion:handler"
RECORDER_HANDLER = "applications_repo.medallion.runtime.recorder:handler"
INGESTION_MODULES = (
    "shared.clock",
    "shared.metrics",
    "applications_repo.medallion.api_client",
    "applications_repo.medallion.checkpoints",
    "applications_repo.medallion.contract",
    "applications_repo.medallion.layers",
)
"""The repository modules the functions import (bundled with each)."""
JOB_SCRIPT = HERE / "job" / "entrypoint.py"
JOB_PACKAGES = (
    "shared.glue",
    "shared.metrics",
    "shared.outcomes",
    "applications_repo.medallion.checkpoints",
    "applications_repo.medallion.contract",
    "applications_repo.medallion.job",
    "applications_repo.medallion.layers",
)
SAMPLE_API = "applications_repo.medallion.sample_api:start"
STALE_AFTER_MINUTES_FACTOR = 2
"""A date's ingestion with no progress for twice the function's timeout is taken over."""


def job_arguments(naming: StageNaming, own: MedallionSettings, step: str) -> dict[str, str]:
    """The jobs' default arguments (a transform run adds its ``run_date``)."""
    names = MedallionNames(naming)
    return {
        "step": step,
        "bronze_bucket": names.bronze_bucket,
        "silver_bucket": names.silver_bucket,
        "gold_bucket": names.gold_bucket,
        "checkpoints_table": names.checkpoints_table,
        "natural_key": own.natural_key,
        "max_rejected_percent": str(own.max_rejected_percent),
        "target_file_bytes": str(own.target_file_bytes),
        "compaction_days": str(own.compaction_days),
    }


def definition(naming: StageNaming, own: MedallionSettings) -> Definition:
    """medallion of one stage."""
    names = MedallionNames(naming)
    return Definition(
        name="medallion",
        functions=(
            ServiceFunction(
                function_name=names.ingestion,
                module=RUNTIME / "ingestion.py",
                handler=INGESTION_HANDLER,
                environment={
                    "BRONZE_BUCKET": names.bronze_bucket,
                    "CHECKPOINTS_TABLE": names.checkpoints_table,
                    "API_SECRET_NAME": names.api_secret,
                    "API_PAGE_SIZE": str(own.api_page_size),
                    "API_REQUEST_ATTEMPTS": str(own.api_request_attempts),
                    "API_TIMEOUT_SECONDS": str(own.api_timeout_seconds),
                    "MAX_RETRY_AFTER_SECONDS": str(own.max_retry_after_seconds),
                    "STALE_AFTER_SECONDS": str(
                        STALE_AFTER_MINUTES_FACTOR * 60 * own.ingestion_timeout_minutes
                    ),
                    **FUNCTION_LOGGING,
                },
                dead_letter_queue=names.ingestion_dead_letters,
            ),
            ServiceFunction(
                function_name=names.recorder,
                module=RUNTIME / "recorder.py",
                handler=RECORDER_HANDLER,
                environment={
                    "STATE_MACHINE_NAME": names.state_machine,
                    "STATE_MACHINE_ARN": names.state_machine_arn,
                    "DPU_HOUR_USD": str(own.dpu_hour_usd),
                    **FUNCTION_LOGGING,
                },
                dead_letter_queue=names.recorder_dead_letters,
            ),
        ),
        jobs=(
            GlueJobDefinition(
                name=names.job,
                description="A run date's API records: bronze pages to silver to gold.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments=job_arguments(naming, own, "transform"),
                emits_row_metrics=True,
            ),
            GlueJobDefinition(
                name=names.compaction_job,
                description="Rewrites the gold partitions of small files into larger ones.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments=job_arguments(naming, own, "compact"),
            ),
        ),
        workflows=(Workflow(state_machine=names.state_machine, schedule=names.daily_schedule),),
        local_services=(
            LocalService(name="sample orders API", start=SAMPLE_API, secret=names.api_secret),
        ),
    )
