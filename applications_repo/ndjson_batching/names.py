"""ndjson-batching's resource names (spec 003 names none), from the platform's naming rule."""

from __future__ import annotations

from dataclasses import dataclass

from shared.naming import NameKind, StageNaming
from shared.registry import DeclaredName


@dataclass(frozen=True)
class NdjsonNames:
    """The names of ndjson-batching's resources in one stage."""

    naming: StageNaming

    @property
    def input_bucket(self) -> str:
        return self.naming.bucket("glue-ndjson-input")

    @property
    def manifest_bucket(self) -> str:
        return self.naming.bucket("glue-ndjson-manifests")

    @property
    def output_bucket(self) -> str:
        return self.naming.bucket("glue-ndjson-output")

    @property
    def queue(self) -> str:
        return self.naming.named("GlueNdjsonFiles")

    @property
    def queue_dead_letters(self) -> str:
        return self.naming.named("GlueNdjsonFiles-dlq")

    @property
    def input_rule(self) -> str:
        return self.naming.named("glue-ndjson-file-created")

    @property
    def tracking_table(self) -> str:
        return self.naming.named("GlueNdjsonFileTracking")

    @property
    def builder(self) -> str:
        return self.naming.named("GlueNdjsonManifestBuilder")

    @property
    def builder_role(self) -> str:
        return self.naming.named("GlueNdjsonManifestBuilderRole")

    @property
    def starter(self) -> str:
        return self.naming.named("GlueNdjsonJobStarter")

    @property
    def starter_role(self) -> str:
        return self.naming.named("GlueNdjsonJobStarterRole")

    @property
    def starter_dead_letters(self) -> str:
        return self.naming.named("GlueNdjsonJobStarter-dlq")

    @property
    def starter_idempotency_table(self) -> str:
        return self.naming.named("GlueNdjsonJobStarter-idempotency")

    @property
    def manifest_rule(self) -> str:
        return self.naming.named("glue-ndjson-manifest-created")

    @property
    def state_manager(self) -> str:
        return self.naming.named("GlueNdjsonStateManager")

    @property
    def state_manager_role(self) -> str:
        return self.naming.named("GlueNdjsonStateManagerRole")

    @property
    def state_manager_dead_letters(self) -> str:
        return self.naming.named("GlueNdjsonStateManager-dlq")

    @property
    def sweep_schedule(self) -> str:
        return self.naming.named("glue-ndjson-sweep")

    @property
    def health_schedule(self) -> str:
        return self.naming.named("glue-ndjson-health")

    @property
    def job(self) -> str:
        return self.naming.named("GlueNdjsonBatchToParquet")

    def log_group(self, function_name: str) -> str:
        return self.naming.lambda_log_group(function_name)

    def declared(self) -> tuple[DeclaredName, ...]:
        """Every name above, with its kind."""
        functions = (self.builder, self.starter, self.state_manager)
        return (
            DeclaredName(NameKind.S3_BUCKET, self.input_bucket),
            DeclaredName(NameKind.S3_BUCKET, self.manifest_bucket),
            DeclaredName(NameKind.S3_BUCKET, self.output_bucket),
            DeclaredName(NameKind.SQS_QUEUE, self.queue),
            DeclaredName(NameKind.SQS_QUEUE, self.queue_dead_letters),
            DeclaredName(NameKind.EVENT_RULE, self.input_rule),
            DeclaredName(NameKind.EVENT_RULE, self.manifest_rule),
            DeclaredName(NameKind.DYNAMODB_TABLE, self.tracking_table),
            DeclaredName(NameKind.DYNAMODB_TABLE, self.starter_idempotency_table),
            *(DeclaredName(NameKind.LAMBDA_FUNCTION, f) for f in functions),
            *(DeclaredName(NameKind.LOG_GROUP, self.log_group(f)) for f in functions),
            DeclaredName(NameKind.IAM_ROLE, self.builder_role),
            DeclaredName(NameKind.IAM_ROLE, self.starter_role),
            DeclaredName(NameKind.IAM_ROLE, self.state_manager_role),
            DeclaredName(NameKind.SQS_QUEUE, self.starter_dead_letters),
            DeclaredName(NameKind.SQS_QUEUE, self.state_manager_dead_letters),
            DeclaredName(NameKind.EVENT_RULE, self.sweep_schedule),
            DeclaredName(NameKind.EVENT_RULE, self.health_schedule),
            DeclaredName(NameKind.GLUE_JOB, self.job),
        )
