"""What FileProcessorV2 runs in one stage: its trigger, its job and its samples."""

from __future__ import annotations

from pathlib import Path

from applications_repo.file_processor.engine_choice import EngineChoice
from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.file_processor.settings import FileProcessorSettings
from shared.application import (
    FUNCTION_LOGGING,
    Definition,
    FunctionJob,
    GlueJobDefinition,
    ObjectCreatedHandler,
)
from shared.config import StageSettings
from shared.naming import QUARANTINE_PREFIX, StageNaming

HERE = Path(__file__).parent
TRIGGER_MODULE = HERE / "runtime" / "trigger.py"
TRIGGER_HANDLER = "applications_repo.file_processor.runtime.trigger:handler"
JOB_SCRIPT = HERE / "job" / "entrypoint.py"
JOB_PACKAGES = (
    "applications_repo.file_processor.engine_choice",
    "shared.errors",
    "shared.glue",
    "shared.metrics",
    "shared.outcomes",
    "shared.quarantine",
    "applications_repo.file_processor.job",
    "applications_repo.file_processor.metrics",
)
SAMPLES = HERE / "samples"
TRIGGER_MEMORY_MB = 128
SINGLE_NODE_LIBRARIES = ("pyarrow",)
"""What the job imports beyond the standard library and the repository on the single-node
path (boto3 is the Lambda runtime's)."""


def trigger_environment(
    naming: StageNaming, settings: StageSettings, own: FileProcessorSettings
) -> dict[str, str]:
    """GlueTriggerLambda's environment."""
    names = FileProcessorNames(naming)
    return {
        "JOB_NAME": names.job,
        "OUTPUT_BUCKET": naming.output_bucket,
        "DATABASE": naming.database,
        "MIN_OBJECT_BYTES": str(own.min_object_bytes),
        "MAX_OBJECT_BYTES": str(own.max_object_bytes),
        "IDEMPOTENCY_TABLE": names.idempotency_table,
        "IDEMPOTENCY_SECONDS": str(own.idempotency_hours * 3600),
        "SINGLE_NODE_MAX_BYTES": str(settings.glue.single_node_max_bytes),
        "SINGLE_NODE_FUNCTION": names.single_node_function,
        **FUNCTION_LOGGING,
    }


def definition(
    naming: StageNaming, settings: StageSettings, own: FileProcessorSettings
) -> Definition:
    """FileProcessorV2 of one stage."""
    names = FileProcessorNames(naming)
    outputs = {"output_bucket": naming.output_bucket, "database": naming.database}
    return Definition(
        name="file-processor",
        function_jobs=(
            FunctionJob(
                function_name=names.single_node_function,
                description=(
                    f"{names.job} on files up to {settings.glue.single_node_max_bytes} bytes, "
                    "with Arrow on one machine."
                ),
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments={**outputs, "engine": EngineChoice.ARROW.value},
                layer_packages=SINGLE_NODE_LIBRARIES,
                memory_mb=own.single_node_memory_mb,
                timeout_seconds=own.single_node_timeout_seconds,
                ephemeral_storage_mb=own.single_node_ephemeral_storage_mb,
                dead_letter_queue=names.single_node_dead_letter_queue,
                reserved_concurrency=own.single_node_concurrency,
                emits_row_metrics=True,
            ),
        ),
        jobs=(
            GlueJobDefinition(
                name=names.job,
                description="CSV objects of the input bucket to Parquet tables of the catalog.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments={
                    **outputs,
                    "engine": EngineChoice.AUTO.value,
                    "single_node_max_bytes": str(settings.glue.single_node_max_bytes),
                },
                emits_row_metrics=True,
            ),
        ),
        handlers=(
            ObjectCreatedHandler(
                function_name=names.trigger_function,
                module=TRIGGER_MODULE,
                handler=TRIGGER_HANDLER,
                bucket=naming.input_bucket,
                excluded_prefix=QUARANTINE_PREFIX,
                environment=trigger_environment(naming, settings, own),
                dead_letter_queue=names.dead_letter_queue,
                idempotency_table=names.idempotency_table,
            ),
        ),
        samples=SAMPLES,
    )
