"""What ndjson-batching runs in one stage: the manifest builder fed by the file queue, the job
starter fired by manifests, the state manager, the batch job, and its samples."""

from __future__ import annotations

from pathlib import Path

from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.settings import NdjsonBatchingSettings
from shared.application import (
    FUNCTION_LOGGING,
    Definition,
    GlueJobDefinition,
    ObjectCreatedHandler,
    QueueHandler,
    ServiceFunction,
)
from shared.naming import QUARANTINE_PREFIX, StageNaming

HERE = Path(__file__).parent
RUNTIME = HERE / "runtime"
BUILDER_HANDLER = "applications_repo.ndjson_batching.runtime.builder:handler"
STARTER_HANDLER = "applications_repo.ndjson_batching.runtime.starter:handler"
STATE_HANDLER = "applications_repo.ndjson_batching.runtime.state_manager:handler"
FUNCTION_MODULES = (
    "shared.clock",
    "shared.metrics",
    "shared.quarantine",
    "applications_repo.ndjson_batching.batching",
    "applications_repo.ndjson_batching.manifest",
    "applications_repo.ndjson_batching.metrics",
    "applications_repo.ndjson_batching.tracking",
    "applications_repo.ndjson_batching.validation",
)
"""The repository modules the functions import (bundled with each)."""
STARTER_MODULES = ("shared.outcomes", "applications_repo.ndjson_batching.manifest")
JOB_SCRIPT = HERE / "job" / "entrypoint.py"
JOB_PACKAGES = (
    "shared.clock",
    "shared.errors",
    "shared.glue",
    "shared.metrics",
    "shared.outcomes",
    "applications_repo.ndjson_batching.job",
    "applications_repo.ndjson_batching.manifest",
    "applications_repo.ndjson_batching.tracking",
)
SAMPLES = HERE / "samples"
STARTER_IDEMPOTENCY_SECONDS = 7 * 24 * 3600


def batch_environment(naming: StageNaming, own: NdjsonBatchingSettings) -> dict[str, str]:
    """What the builder and the state manager share: the buckets, the table, the rules."""
    names = NdjsonNames(naming)
    return {
        "INPUT_BUCKET": names.input_bucket,
        "MANIFEST_BUCKET": names.manifest_bucket,
        "TRACKING_TABLE": names.tracking_table,
        "MIN_FILE_BYTES": str(own.min_file_bytes),
        "MAX_FILE_BYTES": str(own.max_file_bytes),
        "VALIDATED_LINES": str(own.validated_lines),
        "FILES_PER_MANIFEST": str(own.files_per_manifest),
        "MANIFEST_MAX_BYTES": str(own.manifest_max_bytes),
        "BATCH_MAX_AGE_SECONDS": str(own.batch_max_age_seconds),
        "LEASE_SECONDS": str(own.lease_seconds),
        **FUNCTION_LOGGING,
    }


def definition(naming: StageNaming, own: NdjsonBatchingSettings) -> Definition:
    """ndjson-batching of one stage."""
    names = NdjsonNames(naming)
    shared_environment = batch_environment(naming, own)
    return Definition(
        name="ndjson-batching",
        queue_handlers=(
            QueueHandler(
                function_name=names.builder,
                module=RUNTIME / "builder.py",
                handler=BUILDER_HANDLER,
                bucket=names.input_bucket,
                queue=names.queue,
                dead_letter_queue=names.queue_dead_letters,
                environment={**shared_environment, "QUEUE": names.queue},
            ),
        ),
        handlers=(
            ObjectCreatedHandler(
                function_name=names.starter,
                module=RUNTIME / "starter.py",
                handler=STARTER_HANDLER,
                bucket=names.manifest_bucket,
                excluded_prefix=QUARANTINE_PREFIX,
                environment={
                    "JOB_NAME": names.job,
                    "IDEMPOTENCY_TABLE": names.starter_idempotency_table,
                    "IDEMPOTENCY_SECONDS": str(STARTER_IDEMPOTENCY_SECONDS),
                    **FUNCTION_LOGGING,
                },
                dead_letter_queue=names.starter_dead_letters,
                idempotency_table=names.starter_idempotency_table,
            ),
        ),
        functions=(
            ServiceFunction(
                function_name=names.state_manager,
                module=RUNTIME / "state_manager.py",
                handler=STATE_HANDLER,
                environment={
                    **shared_environment,
                    "JOB_NAME": names.job,
                    "ALERTS_TOPIC_ARN": naming.topic_arn(naming.alerts_topic),
                    "STUCK_AFTER_MINUTES": str(own.stuck_after_minutes),
                },
                dead_letter_queue=names.state_manager_dead_letters,
                settle_schedules=(names.sweep_schedule,),
            ),
        ),
        jobs=(
            GlueJobDefinition(
                name=names.job,
                description="Merges the NDJSON files of one manifest into Snappy Parquet.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments={
                    "manifest_bucket": names.manifest_bucket,
                    "input_bucket": names.input_bucket,
                    "output_bucket": names.output_bucket,
                    "tracking_table": names.tracking_table,
                    "database": naming.database,
                    "target_file_mb": str(own.target_file_mb),
                },
                emits_row_metrics=True,
            ),
        ),
        samples=SAMPLES,
        inputs=(names.input_bucket,),
    )
