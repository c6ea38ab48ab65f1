"""parquet-to-json's stack: its storage (``stack_storage``), the
orchestrator and its upload rule, the sweeper and its schedule, the single-node function and
the Glue job, each function with its own role."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from applications_repo.parquet_to_json import metadata
from applications_repo.parquet_to_json.definition import FUNCTION_MODULES, definition
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.settings import ParquetToJsonSettings
from applications_repo.parquet_to_json.stack_storage import buckets, metadata_table
from applications_repo.parquet_to_json.stack_sweeper import EVENT_MAX_AGE, Sweep, sweeper_function
from applications_repo.parquet_to_json.uploads import OUTPUT_PREFIX
from shared import metrics
from shared.application import FunctionJob, ObjectCreatedHandler, ServiceFunction
from shared.constructs.functions import (
    dead_letter_queue,
    function_target,
    handler_function,
    job_function,
    lambda_role,
    object_created,
)
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.logging import LogsKey, own_provider_log_groups
from shared.constructs.shared_roles import allow, attach_to_role
from shared.naming import QUARANTINE_PREFIX, TEST_PREFIX
from shared.registry import AppContext

ORCHESTRATOR_MEMORY_MB = 256


class ParquetToJsonStack(Stack):
    """Uploads to glue-p2j-source-{stage} fire GlueParquetToJsonOrchestrator, which records
    each in glue-etl-pipeline-metadata-{stage} and starts GlueParquetToJson (Glue) or
    GlueParquetToJsonSingleNode (Lambda); GlueParquetToJsonSweeper starts what waits and
    fails what is stuck."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: AppContext, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = n = context.naming
        self.names = ParquetToJsonNames(n)
        self.own: ParquetToJsonSettings = context.app
        self.context = context
        what = definition(n, self.own)
        [orchestrator] = what.handlers
        [sweeper] = what.functions
        [single_node] = what.function_jobs
        [job] = what.jobs
        self.key = LogsKey(
            self,
            "LogsKey",
            naming=n,
            alias=f"alias/{self.names.orchestrator}-logs",
            description="Encrypts the logs of the parquet-to-json functions.",
            log_group_pattern=f"/aws/lambda/GlueParquetToJson*-{n.stage}",
        )
        self.source_bucket, self.output_bucket = buckets(self)
        self.table = metadata_table(self)
        self.single_node = self._single_node_function(single_node)
        self.orchestrator = self._orchestrator_function(orchestrator)
        self.sweeper = self._sweeper_function(sweeper)
        self.job = GlueSparkJob(
            self,
            "ConversionJob",
            naming=n,
            settings=self.own.glue(context.settings.glue),
            definition=job,
            log_retention_days=context.settings.logs.lambda_retention_days,
        )
        self._grant_shared_roles()
        own_provider_log_groups(self, naming=n, days=context.settings.logs.lambda_retention_days)

    def _table_statement(self, sid: str, actions: tuple[str, ...]) -> iam.PolicyStatement:
        table = self.naming.dynamodb_table_arn(self.names.metadata_table)
        indexes = [f"{table}/index/{i}" for i in (metadata.STATUS_INDEX, metadata.SOURCE_INDEX)]
        return allow(sid, [f"dynamodb:{a}" for a in actions], [table, *indexes])

    def _start_statements(self) -> list[iam.PolicyStatement]:
        n = self.naming
        return [
            allow("StartGlueRuns", ["glue:StartJobRun"], [n.glue_job_arn(self.names.job)]),
            allow(
                "StartSingleNodeRuns",
                ["lambda:InvokeFunction"],
                [self.single_node.function_arn],
            ),
        ]

    def _orchestrator_function(self, handler: ObjectCreatedHandler) -> lambda_.Function:
        n, names = self.naming, self.names
        source_objects = f"{n.bucket_arn(names.source_bucket)}/*"
        quarantine_objects = f"{n.bucket_arn(names.source_bucket)}/{QUARANTINE_PREFIX}*"
        dead_letters = dead_letter_queue(
            self,
            "OrchestratorDeadLetterQueue",
            handler.dead_letter_queue,
            holds="the upload events the orchestrator could not handle after the retries",
        )
        role, log_group = self._role(
            "Orchestrator",
            names.orchestrator_role,
            handler.function_name,
            "records each upload and starts its run",
            [
                allow("ReadUploads", ["s3:GetObject", "s3:GetObjectVersion"], [source_objects]),
                allow("QuarantineRejectedUploads", ["s3:PutObject"], [quarantine_objects]),
                self._table_statement("RecordUploads", ("GetItem", "UpdateItem", "Query")),
                *self._start_statements(),
                allow(
                    "SendFailedEventsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(handler.dead_letter_queue)],
                ),
            ],
            findings=[source_objects, quarantine_objects],
            reason="The orchestrator reads the first and last bytes of any upload of its "
            "source bucket and quarantines only under its quarantine/ prefix.",
        )
        function = handler_function(
            self,
            "OrchestratorFunction",
            handler,
            description=f"Records uploads to {handler.bucket} and starts their conversion.",
            role=role,
            log_group=log_group,
            dead_letters=dead_letters,
            modules=FUNCTION_MODULES,
            memory_size=ORCHESTRATOR_MEMORY_MB,
            max_event_age=EVENT_MAX_AGE,
        )
        rule = events.Rule(
            self,
            "UploadRule",
            rule_name=names.upload_rule,
            description=f"Objects created in {handler.bucket}, outside its quarantine.",
            event_pattern=object_created(handler.bucket, excluded_prefix=handler.excluded_prefix),
        )
        rule.add_target(function_target(function, dead_letters, max_event_age=EVENT_MAX_AGE))
        return function

    def _sweeper_function(self, sweeper: ServiceFunction) -> lambda_.Function:
        sweep = Sweep(
            role_name=self.names.sweeper_role,
            job=self.names.job,
            statements=[
                self._table_statement("ManageRuns", ("GetItem", "UpdateItem", "Query")),
                *self._start_statements(),
            ],
            schedule=self.names.sweep_schedule,
            minutes=self.own.sweep_minutes,
            description="Starts waiting parquet-to-json runs, fails stuck ones, serves gdp p2j.",
            modules=FUNCTION_MODULES,
        )
        return sweeper_function(self, self.naming, sweeper, sweep, self._role)

    def _conversion_statements(self) -> tuple[list[iam.PolicyStatement], list[str]]:
        """What a conversion does, on Glue or on the function; with its wildcard resources."""
        n, names = self.naming, self.names
        source_objects = f"{n.bucket_arn(names.source_bucket)}/*"
        quarantine_objects = f"{n.bucket_arn(names.source_bucket)}/{QUARANTINE_PREFIX}*"
        output_objects = f"{n.bucket_arn(names.output_bucket)}/*"
        statements = [
            allow(
                "ListDataBuckets",
                ["s3:ListBucket"],
                [n.bucket_arn(names.source_bucket), n.bucket_arn(names.output_bucket)],
            ),
            allow("ReadSource", ["s3:GetObject", "s3:GetObjectVersion"], [source_objects]),
            allow("QuarantineRejectedSource", ["s3:PutObject"], [quarantine_objects]),
            allow(
                "WriteOutput",
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                [output_objects],
            ),
            self._table_statement("RecordRuns", ("GetItem", "UpdateItem", "Query")),
            iam.PolicyStatement(
                sid="PublishMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}},
            ),
        ]
        return statements, [source_objects, quarantine_objects, output_objects, "*"]

    def _single_node_function(self, job: FunctionJob) -> lambda_.Function:
        names = self.names
        dead_letters = dead_letter_queue(
            self,
            "SingleNodeDeadLetterQueue",
            job.dead_letter_queue,
            holds=f"the {job.function_name} runs that failed after Lambda's retries",
        )
        statements, wildcards = self._conversion_statements()
        role, log_group = self._role(
            "SingleNode",
            names.single_node_role,
            job.function_name,
            f"{names.job} on one machine",
            [
                *statements,
                allow(
                    "SendFailedRunsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [self.naming.queue_arn(job.dead_letter_queue)],
                ),
            ],
            findings=wildcards,
            reason=CONVERSION_REASON,
        )
        return job_function(
            self,
            "SingleNodeFunction",
            job,
            role=role,
            log_group=log_group,
            dead_letters=dead_letters,
            max_event_age=EVENT_MAX_AGE,
        )

    def _role(
        self,
        construct_id: str,
        role_name: str,
        function_name: str,
        does: str,
        statements: list[iam.PolicyStatement],
        *,
        findings: list[str] | None = None,
        reason: str = "",
    ) -> tuple[iam.IRole, Any]:
        return lambda_role(
            self,
            construct_id,
            naming=self.naming,
            key=self.key,
            retention_days=self.context.settings.logs.lambda_retention_days,
            role_name=role_name,
            function_name=function_name,
            does=does,
            statements=statements,
            findings=findings or (),
            reason=reason,
        )

    def _grant_shared_roles(self) -> None:
        """The Glue job does what the single-node function does; the post-deploy tests upload
        under the test prefix and read what became of their uploads."""
        n, names = self.naming, self.names
        statements, wildcards = self._conversion_statements()
        attach_to_role(
            self,
            "JobAccessPolicy",
            role_name=n.glue_service_role,
            description=f"What {names.job} reads, writes and records.",
            statements=statements,
            wildcards=wildcards,
            reason=CONVERSION_REASON,
        )
        test_uploads = f"{n.bucket_arn(names.source_bucket)}/{TEST_PREFIX}*"
        test_outputs = f"{n.bucket_arn(names.output_bucket)}/{OUTPUT_PREFIX}*"
        attach_to_role(
            self,
            "TestAccessPolicy",
            role_name=n.test_role,
            description=f"What the post-deploy tests of {names.job} may do.",
            statements=[
                allow(
                    "UploadTestFiles",
                    ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                    [test_uploads],
                ),
                allow("ReadOutputs", ["s3:GetObject"], [test_outputs]),
                allow(
                    "ReadMetadata",
                    ["dynamodb:GetItem"],
                    [n.dynamodb_table_arn(names.metadata_table)],
                ),
            ],
            wildcards=[test_uploads, test_outputs],
            reason=f"The post-deploy tests upload and remove their files only under the "
            f"{TEST_PREFIX} prefix of the source bucket and read the JSON written for them.",
        )


CONVERSION_REASON = (
    "A conversion reads any upload of the source bucket (keys are the users' file names), "
    "quarantines only under its quarantine/ prefix, writes any key of its output bucket "
    "(keys derive from the uploads'); PutMetricData has no resource-level permissions and is "
    "limited to the platform's namespace."
)
