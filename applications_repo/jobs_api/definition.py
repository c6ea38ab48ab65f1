"""What jobs-api runs in one stage: the API function behind its REST API, the upload
confirmations, and parquet-to-json's conversion (its job on Glue and as a function, and its
sweeper) over the jobs table."""

from __future__ import annotations

import json
from pathlib import Path

from applications_repo.jobs_api.names import JobsApiNames
from applications_repo.jobs_api.settings import JobsApiSettings
from applications_repo.parquet_to_json import definition as conversion
from applications_repo.parquet_to_json.definition import ARROW, SPARK
from shared.application import (
    FUNCTION_LOGGING,
    Definition,
    FunctionJob,
    GlueJobDefinition,
    ObjectCreatedHandler,
    ServiceFunction,
    WebApi,
)
from shared.naming import StageNaming

HERE = Path(__file__).parent
RUNTIME = HERE / "runtime"
UI = HERE / "ui"
OPENAPI = HERE / "openapi.json"
"""The committed OpenAPI document of the REST API (``gdp jobs-api openapi --write``)."""
API_HANDLER = "applications_repo.jobs_api.runtime.api:handler"
UPLOADS_HANDLER = "applications_repo.jobs_api.runtime.uploads:handler"
SWEEPER_MODULE = conversion.RUNTIME / "sweeper.py"
FUNCTION_MODULES = (
    *conversion.FUNCTION_MODULES,
    "applications_repo.jobs_api.jobs",
    "applications_repo.jobs_api.models",
)
"""The repository modules the API, the upload and the sweeper functions import."""
API_LIBRARIES = ("pydantic", "pydantic-core", "annotated-types", "typing-inspection")
"""What the API function imports beyond the runtime and Powertools: the validation of its
requests (Powertools' OpenAPI support is pydantic)."""
JOB_SERVICE = "jobs-api-conversion"
SWEEPER_SERVICE = "jobs-api-sweeper"


def start_environment(naming: StageNaming, own: JobsApiSettings) -> dict[str, str]:
    """What starting a conversion needs (parquet-to-json's ``StartConfig``)."""
    names = JobsApiNames(naming)
    return {
        "JOB_NAME": names.job,
        "SINGLE_NODE_FUNCTION": names.single_node,
        "SINGLE_NODE_MAX_BYTES": str(own.single_node_max_bytes),
        "METADATA_TABLE": names.jobs_table,
        **FUNCTION_LOGGING,
    }


def api_environment(naming: StageNaming, own: JobsApiSettings) -> dict[str, str]:
    names = JobsApiNames(naming)
    return {
        **start_environment(naming, own),
        "IDEMPOTENCY_TABLE": names.idempotency_table,
        "INPUT_BUCKET": names.input_bucket,
        "OUTPUT_BUCKET": names.output_bucket,
        "MAX_UPLOAD_BYTES": str(own.max_upload_bytes),
        "UPLOAD_URL_SECONDS": str(own.upload_url_seconds),
        "DOWNLOAD_URL_SECONDS": str(own.download_url_seconds),
        "PAGE_SIZE": str(own.page_size),
        "IDEMPOTENCY_SECONDS": str(own.idempotency_hours * 3600),
        "ALLOWED_ORIGINS": json.dumps(list(own.origins)),
    }


def job_defaults(naming: StageNaming, own: JobsApiSettings, engine: str) -> dict[str, str]:
    """The conversion's default arguments (each run adds its file's)."""
    names = JobsApiNames(naming)
    return {
        "source_bucket": names.input_bucket,
        "output_bucket": names.output_bucket,
        "metadata_table": names.jobs_table,
        "contract": own.contract().to_json(),
        "batch_rows": "65536",
        "progress_seconds": "30",
        "engine": engine,
        "metrics_service": JOB_SERVICE,
    }


def definition(naming: StageNaming, own: JobsApiSettings) -> Definition:
    """jobs-api of one stage."""
    names = JobsApiNames(naming)
    started = start_environment(naming, own)
    return Definition(
        name="jobs-api",
        apis=(WebApi(rest_api=names.rest_api, ui=UI, ui_port=own.ui_port),),
        handlers=(
            ObjectCreatedHandler(
                function_name=names.uploads_function,
                module=RUNTIME / "uploads.py",
                handler=UPLOADS_HANDLER,
                bucket=names.input_bucket,
                excluded_prefix="",
                environment={
                    "METADATA_TABLE": names.jobs_table,
                    "INPUT_BUCKET": names.input_bucket,
                    "MAX_UPLOAD_BYTES": str(own.max_upload_bytes),
                    **FUNCTION_LOGGING,
                },
                dead_letter_queue=names.uploads_dead_letters,
                idempotency_table=names.jobs_table,
            ),
        ),
        functions=(
            ServiceFunction(
                function_name=names.sweeper,
                module=SWEEPER_MODULE,
                handler=conversion.SWEEPER_HANDLER,
                environment={
                    **started,
                    "STUCK_AFTER_MINUTES": str(own.stuck_after_minutes),
                    "METRICS_SERVICE": SWEEPER_SERVICE,
                },
                dead_letter_queue=names.sweeper_dead_letters,
                settle_schedules=(names.sweep_schedule,),
            ),
        ),
        function_jobs=(
            FunctionJob(
                function_name=names.single_node,
                description=(
                    f"{names.job} on files up to {own.single_node_max_mb} MB, with Arrow on "
                    "one machine."
                ),
                script=conversion.JOB_SCRIPT,
                packages=conversion.JOB_PACKAGES,
                arguments=job_defaults(naming, own, ARROW),
                layer_packages=conversion.SINGLE_NODE_LIBRARIES,
                memory_mb=own.single_node_memory_mb,
                timeout_seconds=900,
                ephemeral_storage_mb=max(512, own.single_node_max_mb + 512),
                dead_letter_queue=names.single_node_dead_letters,
                emits_row_metrics=True,
            ),
        ),
        jobs=(
            GlueJobDefinition(
                name=names.job,
                description="The jobs' Parquet files to JSON Lines (parquet-to-json's job).",
                script=conversion.JOB_SCRIPT,
                packages=conversion.JOB_PACKAGES,
                arguments=job_defaults(naming, own, SPARK),
                emits_row_metrics=True,
            ),
        ),
    )
