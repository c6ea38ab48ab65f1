"""What parquet-to-json runs in one stage: the orchestrator fired by uploads, the sweeper, the
job on Glue (Spark) and as a function (Arrow), and its samples."""

from __future__ import annotations

from pathlib import Path

from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.settings import ParquetToJsonSettings
from shared.application import (
    FUNCTION_LOGGING,
    Definition,
    FunctionJob,
    GlueJobDefinition,
    ObjectCreatedHandler,
    ServiceFunction,
)
from shared.naming import QUARANTINE_PREFIX, StageNaming

HERE = Path(__file__).parent
RUNTIME = HERE / "runtime"
ORCHESTRATOR_HANDLER = "applications_repo.parquet_to_json.runtime.orchestrator:handler"
SWEEPER_HANDLER = "applications_repo.parquet_to_json.runtime.sweeper:handler"
FUNCTION_MODULES = (
    "shared.clock",
    "shared.metrics",
    "shared.outcomes",
    "shared.quarantine",
    "applications_repo.parquet_to_json.metadata",
    "applications_repo.parquet_to_json.metrics",
    "applications_repo.parquet_to_json.starting",
    "applications_repo.parquet_to_json.uploads",
)
"""The repository modules the orchestrator and the sweeper import (bundled with each)."""
JOB_SCRIPT = HERE / "job" / "entrypoint.py"
JOB_PACKAGES = (
    "shared.clock",
    "shared.glue",
    "shared.metrics",
    "shared.outcomes",
    "shared.quarantine",
    "applications_repo.parquet_to_json.contract",
    "applications_repo.parquet_to_json.job",
    "applications_repo.parquet_to_json.metadata",
    "applications_repo.parquet_to_json.metrics",
)
SINGLE_NODE_LIBRARIES = ("pyarrow",)
"""What the job imports beyond the standard library and the repository on the single-node
path (boto3 is the Lambda runtime's)."""
SAMPLES = HERE / "samples"
SPARK, ARROW = "spark", "arrow"


def start_environment(naming: StageNaming, own: ParquetToJsonSettings) -> dict[str, str]:
    """What the orchestrator and the sweeper need to start a run."""
    names = ParquetToJsonNames(naming)
    return {
        "JOB_NAME": names.job,
        "SINGLE_NODE_FUNCTION": names.single_node,
        "SINGLE_NODE_MAX_BYTES": str(own.single_node_max_bytes),
        "METADATA_TABLE": names.metadata_table,
        **FUNCTION_LOGGING,
    }


def job_defaults(naming: StageNaming, own: ParquetToJsonSettings, engine: str) -> dict[str, str]:
    """The job's default arguments (each run adds its file's)."""
    names = ParquetToJsonNames(naming)
    return {
        "source_bucket": names.source_bucket,
        "output_bucket": names.output_bucket,
        "metadata_table": names.metadata_table,
        "contract": own.contract().to_json(),
        "batch_rows": str(own.batch_rows),
        "progress_seconds": str(own.progress_seconds),
        "engine": engine,
    }


def definition(naming: StageNaming, own: ParquetToJsonSettings) -> Definition:
    """parquet-to-json of one stage."""
    names = ParquetToJsonNames(naming)
    started = start_environment(naming, own)
    return Definition(
        name="parquet-to-json",
        handlers=(
            ObjectCreatedHandler(
                function_name=names.orchestrator,
                module=RUNTIME / "orchestrator.py",
                handler=ORCHESTRATOR_HANDLER,
                bucket=names.source_bucket,
                excluded_prefix=QUARANTINE_PREFIX,
                environment={
                    **started,
                    "SOURCE_BUCKET": names.source_bucket,
                    "OUTPUT_BUCKET": names.output_bucket,
                    "MIN_FILE_BYTES": str(own.min_file_bytes),
                    "MAX_FILE_BYTES": str(own.max_file_bytes),
                },
                dead_letter_queue=names.orchestrator_dead_letters,
                idempotency_table=names.metadata_table,
            ),
        ),
        functions=(
            ServiceFunction(
                function_name=names.sweeper,
                module=RUNTIME / "sweeper.py",
                handler=SWEEPER_HANDLER,
                environment={**started, "STUCK_AFTER_MINUTES": str(own.stuck_after_minutes)},
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
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments=job_defaults(naming, own, ARROW),
                layer_packages=SINGLE_NODE_LIBRARIES,
                memory_mb=own.single_node_memory_mb,
                timeout_seconds=own.single_node_timeout_seconds,
                ephemeral_storage_mb=max(512, own.single_node_max_mb + 512),
                dead_letter_queue=names.single_node_dead_letters,
                reserved_concurrency=own.single_node_concurrency,
                emits_row_metrics=True,
            ),
        ),
        jobs=(
            GlueJobDefinition(
                name=names.job,
                description="Parquet files of the source bucket to JSON Lines, checked.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments=job_defaults(naming, own, SPARK),
                emits_row_metrics=True,
            ),
        ),
        samples=SAMPLES,
    )
