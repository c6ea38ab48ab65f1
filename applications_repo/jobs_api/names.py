"""jobs-api's resource names, from the platform's naming rule.

Spec 001 names no resources; each here starts with ``glue-`` (or ``Glue``), what the deploy
role of every stage may create (``shared/bootstrap.py``), and carries its stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.naming import NameKind, StageNaming
from shared.registry import DeclaredName


@dataclass(frozen=True)
class JobsApiNames:
    """The names of jobs-api's resources in one stage."""

    naming: StageNaming

    @property
    def input_bucket(self) -> str:
        return self.naming.bucket("glue-jobs-api-input")

    @property
    def output_bucket(self) -> str:
        return self.naming.bucket("glue-jobs-api-output")

    @property
    def jobs_table(self) -> str:
        return self.naming.named("glue-jobs-api-jobs")

    @property
    def idempotency_table(self) -> str:
        return self.naming.named("glue-jobs-api-idempotency")

    @property
    def rest_api(self) -> str:
        return self.naming.named("glue-jobs-api")

    @property
    def usage_plan(self) -> str:
        return self.naming.named("glue-jobs-api-usage")

    @property
    def api_key(self) -> str:
        return self.naming.named("glue-jobs-api-key")

    @property
    def access_log_group(self) -> str:
        return f"/aws/apigateway/{self.naming.named('GlueJobsApiAccess')}"

    @property
    def api_function(self) -> str:
        return self.naming.named("GlueJobsApi")

    @property
    def api_role(self) -> str:
        return self.naming.named("GlueJobsApiRole")

    @property
    def uploads_function(self) -> str:
        return self.naming.named("GlueJobsApiUploads")

    @property
    def uploads_role(self) -> str:
        return self.naming.named("GlueJobsApiUploadsRole")

    @property
    def uploads_dead_letters(self) -> str:
        return self.naming.named("GlueJobsApiUploads-dlq")

    @property
    def upload_rule(self) -> str:
        return self.naming.named("glue-jobs-api-uploaded")

    @property
    def sweeper(self) -> str:
        return self.naming.named("GlueJobsApiSweeper")

    @property
    def sweeper_role(self) -> str:
        return self.naming.named("GlueJobsApiSweeperRole")

    @property
    def sweeper_dead_letters(self) -> str:
        return self.naming.named("GlueJobsApiSweeper-dlq")

    @property
    def sweep_schedule(self) -> str:
        return self.naming.named("glue-jobs-api-sweep")

    @property
    def single_node(self) -> str:
        return self.naming.named("GlueJobsApiSingleNode")

    @property
    def single_node_role(self) -> str:
        return self.naming.named("GlueJobsApiSingleNodeRole")

    @property
    def single_node_dead_letters(self) -> str:
        return self.naming.named("GlueJobsApiSingleNode-dlq")

    @property
    def job(self) -> str:
        return self.naming.named("GlueJobsApiConversion")

    def declared(self) -> tuple[DeclaredName, ...]:
        """Every name above, with its kind."""
        functions = (self.api_function, self.uploads_function, self.sweeper, self.single_node)
        return (
            DeclaredName(NameKind.S3_BUCKET, self.input_bucket),
            DeclaredName(NameKind.S3_BUCKET, self.output_bucket),
            DeclaredName(NameKind.DYNAMODB_TABLE, self.jobs_table),
            DeclaredName(NameKind.DYNAMODB_TABLE, self.idempotency_table),
            DeclaredName(NameKind.REST_API, self.rest_api),
            DeclaredName(NameKind.LOG_GROUP, self.access_log_group),
            *(DeclaredName(NameKind.LAMBDA_FUNCTION, f) for f in functions),
            *(DeclaredName(NameKind.LOG_GROUP, self.naming.lambda_log_group(f)) for f in functions),
            DeclaredName(NameKind.IAM_ROLE, self.api_role),
            DeclaredName(NameKind.IAM_ROLE, self.uploads_role),
            DeclaredName(NameKind.IAM_ROLE, self.sweeper_role),
            DeclaredName(NameKind.IAM_ROLE, self.single_node_role),
            DeclaredName(NameKind.SQS_QUEUE, self.uploads_dead_letters),
            DeclaredName(NameKind.SQS_QUEUE, self.sweeper_dead_letters),
            DeclaredName(NameKind.SQS_QUEUE, self.single_node_dead_letters),
            DeclaredName(NameKind.EVENT_RULE, self.upload_rule),
            DeclaredName(NameKind.EVENT_RULE, self.sweep_schedule),
            DeclaredName(NameKind.GLUE_JOB, self.job),
        )
