"""medallion's resource names, from the platform's naming rule.

Spec 004 names no resources; each here starts with ``glue-`` (or ``Glue``), what the deploy
role of every stage may create (``shared/bootstrap.py``), and carries its stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.naming import NameKind, StageNaming
from shared.registry import DeclaredName


@dataclass(frozen=True)
class MedallionNames:
    """The names of medallion's resources in one stage."""

    naming: StageNaming

    @property
    def bronze_bucket(self) -> str:
        return self.naming.bucket("glue-medallion-bronze")

    @property
    def silver_bucket(self) -> str:
        return self.naming.bucket("glue-medallion-silver")

    @property
    def gold_bucket(self) -> str:
        return self.naming.bucket("glue-medallion-gold")

    @property
    def query_results_bucket(self) -> str:
        return self.naming.bucket("glue-medallion-athena-results")

    @property
    def checkpoints_table(self) -> str:
        return self.naming.named("glue-medallion-checkpoints")

    @property
    def api_secret(self) -> str:
        return self.naming.named("glue-medallion-api")

    @property
    def ingestion(self) -> str:
        return self.naming.named("GlueMedallionIngestion")

    @property
    def ingestion_role(self) -> str:
        return self.naming.named("GlueMedallionIngestionRole")

    @property
    def ingestion_dead_letters(self) -> str:
        return self.naming.named("GlueMedallionIngestion-dlq")

    @property
    def recorder(self) -> str:
        return self.naming.named("GlueMedallionRunRecorder")

    @property
    def recorder_role(self) -> str:
        return self.naming.named("GlueMedallionRunRecorderRole")

    @property
    def recorder_dead_letters(self) -> str:
        return self.naming.named("GlueMedallionRunRecorder-dlq")

    @property
    def job(self) -> str:
        return self.naming.named("GlueMedallionTransform")

    @property
    def compaction_job(self) -> str:
        return self.naming.named("GlueMedallionCompaction")

    @property
    def crawler(self) -> str:
        return self.naming.named("glue-medallion-curated")

    @property
    def state_machine(self) -> str:
        return self.naming.named("glue-medallion-pipeline")

    @property
    def state_machine_role(self) -> str:
        return self.naming.named("GlueMedallionPipelineRole")

    @property
    def state_machine_log_group(self) -> str:
        return f"/aws/vendedlogs/states/{self.state_machine}"

    @property
    def daily_schedule(self) -> str:
        return self.naming.named("glue-medallion-daily")

    @property
    def compaction_schedule(self) -> str:
        return self.naming.named("glue-medallion-compaction")

    @property
    def freshness_schedule(self) -> str:
        return self.naming.named("glue-medallion-freshness")

    @property
    def notifications_topic(self) -> str:
        return self.naming.named("glue-medallion-notifications")

    @property
    def work_group(self) -> str:
        return self.naming.named("glue-medallion")

    @property
    def table(self) -> str:
        """The crawler's table: its prefix and the gold layer's folder, ``curated``."""
        return f"{self.table_prefix}curated"

    @property
    def table_prefix(self) -> str:
        return "medallion_"

    @property
    def state_machine_arn(self) -> str:
        n = self.naming
        return f"arn:{n.partition}:states:{n.region}:{n.account}:stateMachine:{self.state_machine}"

    def log_group(self, function_name: str) -> str:
        return self.naming.lambda_log_group(function_name)

    def declared(self) -> tuple[DeclaredName, ...]:
        """Every name above, with its kind."""
        functions = (self.ingestion, self.recorder)
        return (
            DeclaredName(NameKind.S3_BUCKET, self.bronze_bucket),
            DeclaredName(NameKind.S3_BUCKET, self.silver_bucket),
            DeclaredName(NameKind.S3_BUCKET, self.gold_bucket),
            DeclaredName(NameKind.S3_BUCKET, self.query_results_bucket),
            DeclaredName(NameKind.DYNAMODB_TABLE, self.checkpoints_table),
            *(DeclaredName(NameKind.LAMBDA_FUNCTION, f) for f in functions),
            *(DeclaredName(NameKind.LOG_GROUP, self.log_group(f)) for f in functions),
            DeclaredName(NameKind.LOG_GROUP, self.state_machine_log_group),
            DeclaredName(NameKind.IAM_ROLE, self.ingestion_role),
            DeclaredName(NameKind.IAM_ROLE, self.recorder_role),
            DeclaredName(NameKind.IAM_ROLE, self.state_machine_role),
            DeclaredName(NameKind.SQS_QUEUE, self.ingestion_dead_letters),
            DeclaredName(NameKind.SQS_QUEUE, self.recorder_dead_letters),
            DeclaredName(NameKind.GLUE_JOB, self.job),
            DeclaredName(NameKind.GLUE_JOB, self.compaction_job),
            DeclaredName(NameKind.GLUE_CRAWLER, self.crawler),
            DeclaredName(NameKind.STATE_MACHINE, self.state_machine),
            DeclaredName(NameKind.SCHEDULE, self.daily_schedule),
            DeclaredName(NameKind.SCHEDULE, self.compaction_schedule),
            DeclaredName(NameKind.SCHEDULE, self.freshness_schedule),
            DeclaredName(NameKind.SNS_TOPIC, self.notifications_topic),
        )
