"""FileProcessorV2 as an application: its trigger, its job and its samples, for one stage."""

from __future__ import annotations

from pathlib import Path

from applications_repo.file_processor.engine_choice import EngineChoice
from shared.application import (
    FUNCTION_LOGGING,
    Application,
    GlueJobDefinition,
    ObjectCreatedHandler,
)
from shared.config import StageSettings
from shared.metrics import TRIGGER_SERVICE
from shared.naming import QUARANTINE_PREFIX, StageNaming

HERE = Path(__file__).parent
TRIGGER_MODULE = HERE / "runtime" / "trigger.py"
TRIGGER_HANDLER = "applications_repo.file_processor.runtime.trigger:handler"
TRIGGER_LOGGER = TRIGGER_SERVICE
JOB_SCRIPT = HERE / "job" / "entrypoint.py"
JOB_PACKAGES = (
    "applications_repo.file_processor.engine_choice",
    "shared.errors",
    "shared.glue",
    "shared.metrics",
    "shared.quarantine",
    "applications_repo.file_processor.job",
)
JOB_RUNNER = "applications_repo.file_processor.job.entrypoint:run"
SAMPLES = HERE / "samples"
TRIGGER_MEMORY_MB = 128


def trigger_environment(naming: StageNaming, settings: StageSettings) -> dict[str, str]:
    """GlueTriggerLambda's environment."""
    return {
        "JOB_NAME": naming.file_processor_job,
        "OUTPUT_BUCKET": naming.output_bucket,
        "DATABASE": naming.database,
        "MIN_OBJECT_BYTES": str(settings.trigger.min_object_bytes),
        "MAX_OBJECT_BYTES": str(settings.trigger.max_object_bytes),
        "IDEMPOTENCY_TABLE": naming.trigger_idempotency_table,
        "IDEMPOTENCY_SECONDS": str(settings.trigger.idempotency_hours * 3600),
        "SINGLE_NODE_MAX_BYTES": str(settings.glue.single_node_max_bytes),
        **FUNCTION_LOGGING,
    }


def application(naming: StageNaming, settings: StageSettings) -> Application:
    """FileProcessorV2 of one stage."""
    return Application(
        name="file_processor",
        jobs=(
            GlueJobDefinition(
                name=naming.file_processor_job,
                description="CSV objects of the input bucket to Parquet tables of the catalog.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments={
                    "output_bucket": naming.output_bucket,
                    "database": naming.database,
                    "engine": EngineChoice.AUTO.value,
                    "single_node_max_bytes": str(settings.glue.single_node_max_bytes),
                },
                runner=JOB_RUNNER,
                emits_row_metrics=True,
            ),
        ),
        handlers=(
            ObjectCreatedHandler(
                function_name=naming.trigger_function,
                module=TRIGGER_MODULE,
                handler=TRIGGER_HANDLER,
                bucket=naming.input_bucket,
                excluded_prefix=QUARANTINE_PREFIX,
                environment=trigger_environment(naming, settings),
                logger_name=TRIGGER_LOGGER,
                dead_letter_queue=naming.trigger_dead_letter_queue,
                idempotency_table=naming.trigger_idempotency_table,
            ),
        ),
        samples=SAMPLES,
    )
