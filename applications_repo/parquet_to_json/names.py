"""parquet-to-json's resource names, from the platform's naming rule.

Spec 000 names the metadata table ``etl-pipeline-metadata``; here it is
``glue-etl-pipeline-metadata-{stage}``: the stage carries it, and the ``glue`` prefix is what
the deploy role of every stage may create (``shared/bootstrap.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.naming import NameKind, StageNaming
from shared.registry import DeclaredName


@dataclass(frozen=True)
class ParquetToJsonNames:
    """The names of parquet-to-json's resources in one stage."""

    naming: StageNaming

    @property
    def source_bucket(self) -> str:
        return self.naming.bucket("glue-p2j-source")

    @property
    def output_bucket(self) -> str:
        return self.naming.bucket("glue-p2j-output")

    @property
    def metadata_table(self) -> str:
        return self.naming.named("glue-etl-pipeline-metadata")

    @property
    def orchestrator(self) -> str:
        return self.naming.named("GlueParquetToJsonOrchestrator")

    @property
    def orchestrator_role(self) -> str:
        return self.naming.named("GlueParquetToJsonOrchestratorRole")

    @property
    def orchestrator_dead_letters(self) -> str:
        return self.naming.named("GlueParquetToJsonOrchestrator-dlq")

    @property
    def upload_rule(self) -> str:
        return self.naming.named("glue-p2j-parquet-created")

    @property
    def sweeper(self) -> str:
        return self.naming.named("GlueParquetToJsonSweeper")

    @property
    def sweeper_role(self) -> str:
        return self.naming.named("GlueParquetToJsonSweeperRole")

    @property
    def sweeper_dead_letters(self) -> str:
        return self.naming.named("GlueParquetToJsonSweeper-dlq")

    @property
    def sweep_schedule(self) -> str:
        return self.naming.named("glue-p2j-sweep")

    @property
    def single_node(self) -> str:
        return self.naming.named("GlueParquetToJsonSingleNode")

    @property
    def single_node_role(self) -> str:
        return self.naming.named("GlueParquetToJsonSingleNodeRole")

    @property
    def single_node_dead_letters(self) -> str:
        return self.naming.named("GlueParquetToJsonSingleNode-dlq")

    @property
    def job(self) -> str:
        return self.naming.named("GlueParquetToJson")

    def log_group(self, function_name: str) -> str:
        return self.naming.lambda_log_group(function_name)

    def declared(self) -> tuple[DeclaredName, ...]:
        """Every name above, with its kind."""
        functions = (self.orchestrator, self.sweeper, self.single_node)
        return (
            DeclaredName(NameKind.S3_BUCKET, self.source_bucket),
            DeclaredName(NameKind.S3_BUCKET, self.output_bucket),
            DeclaredName(NameKind.DYNAMODB_TABLE, self.metadata_table),
            *(DeclaredName(NameKind.LAMBDA_FUNCTION, f) for f in functions),
            *(DeclaredName(NameKind.LOG_GROUP, self.log_group(f)) for f in functions),
            DeclaredName(NameKind.IAM_ROLE, self.orchestrator_role),
            DeclaredName(NameKind.IAM_ROLE, self.sweeper_role),
            DeclaredName(NameKind.IAM_ROLE, self.single_node_role),
            DeclaredName(NameKind.SQS_QUEUE, self.orchestrator_dead_letters),
            DeclaredName(NameKind.SQS_QUEUE, self.sweeper_dead_letters),
            DeclaredName(NameKind.SQS_QUEUE, self.single_node_dead_letters),
            DeclaredName(NameKind.EVENT_RULE, self.upload_rule),
            DeclaredName(NameKind.EVENT_RULE, self.sweep_schedule),
            DeclaredName(NameKind.GLUE_JOB, self.job),
        )
