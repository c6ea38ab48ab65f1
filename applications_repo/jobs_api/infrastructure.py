"""jobs-api's stack: its storage (``stack_storage``), its REST API (``stack_api``), the API
function, the upload confirmations and their rule, and parquet-to-json's conversion over the
jobs table (the Glue job, the single-node function, the sweeper and its schedule), each
function with its own role."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from applications_repo.jobs_api import jobs
from applications_repo.jobs_api.definition import (
    API_HANDLER,
    API_LIBRARIES,
    FUNCTION_MODULES,
    RUNTIME,
    api_environment,
    definition,
)
from applications_repo.jobs_api.names import JobsApiNames
from applications_repo.jobs_api.settings import JobsApiSettings
from applications_repo.jobs_api.stack_api import rest_api
from applications_repo.jobs_api.stack_conversion import (
    CONVERSION_REASON,
    conversion_statements,
    single_node_function,
)
from applications_repo.jobs_api.stack_storage import buckets, idempotency_table, jobs_table
from applications_repo.parquet_to_json import metadata
from applications_repo.parquet_to_json.stack_sweeper import EVENT_MAX_AGE, Sweep, sweeper_function
from shared.application import ObjectCreatedHandler, ServiceFunction
from shared.bundling import lambda_bundle, locked_versions, python_layer
from shared.constructs.functions import (
    LAMBDA_RUNTIME,
    POWERTOOLS_PACKAGES,
    dead_letter_queue,
    function_target,
    handler_function,
    lambda_role,
    object_created,
)
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.logging import LogsKey, own_provider_log_groups, retention
from shared.constructs.shared_roles import allow, attach_to_role
from shared.registry import AppContext

API_MEMORY_MB = 512
API_TIMEOUT = Duration.seconds(29)
"""API Gateway's integration timeout."""
API_PYTHON = "3.14"
"""The Python of ``LAMBDA_RUNTIME``, which the API function's layer is built for."""


class JobsApiStack(Stack):
    """glue-jobs-api-{stage} (API Gateway) runs GlueJobsApi, which records jobs in
    glue-jobs-api-jobs-{stage} and hands pre-signed URLs of glue-jobs-api-input/-output;
    GlueJobsApiUploads confirms uploads; GlueJobsApiConversion (Glue) or
    GlueJobsApiSingleNode (Lambda) converts; GlueJobsApiSweeper starts what waits."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: AppContext, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = n = context.naming
        self.names = JobsApiNames(n)
        self.own: JobsApiSettings = context.app
        self.context = context
        days = context.settings.logs.lambda_retention_days
        self.retention = retention(days)
        self.removal = (
            RemovalPolicy.RETAIN if context.settings.retain_data else RemovalPolicy.DESTROY
        )
        what = definition(n, self.own)
        [uploads] = what.handlers
        [sweeper] = what.functions
        [single_node] = what.function_jobs
        [job] = what.jobs
        self.key = LogsKey(
            self,
            "LogsKey",
            naming=n,
            alias=f"alias/{self.names.api_function}-logs",
            description="Encrypts the logs of jobs-api's functions and API.",
            log_group_pattern=f"/aws/*/GlueJobsApi*-{n.stage}",
        )
        self.input_bucket, self.output_bucket = buckets(self)
        self.table = jobs_table(self)
        self.idempotency = idempotency_table(self)
        self.single_node = single_node_function(self, single_node)
        self.uploads = self._uploads_function(uploads)
        self.sweeper = self._sweeper_function(sweeper)
        self.api_function = self._api_function()
        self.api = rest_api(self, self.api_function)
        self.job = GlueSparkJob(
            self,
            "ConversionJob",
            naming=n,
            settings=self.own.glue(context.settings.glue),
            definition=job,
            log_retention_days=days,
        )
        self._grant_shared_roles()
        own_provider_log_groups(self, naming=n, days=days)

    def table_statement(self, sid: str, actions: tuple[str, ...]) -> iam.PolicyStatement:
        table = self.naming.dynamodb_table_arn(self.names.jobs_table)
        indexes = [
            f"{table}/index/{i}"
            for i in (metadata.STATUS_INDEX, metadata.SOURCE_INDEX, jobs.LISTED_INDEX)
        ]
        return allow(sid, [f"dynamodb:{a}" for a in actions], [table, *indexes])

    def _start_statements(self) -> list[iam.PolicyStatement]:
        return [
            allow(
                "StartGlueRuns", ["glue:StartJobRun"], [self.naming.glue_job_arn(self.names.job)]
            ),
            allow(
                "StartSingleNodeRuns", ["lambda:InvokeFunction"], [self.single_node.function_arn]
            ),
        ]

    def _api_function(self) -> lambda_.Function:
        n, names = self.naming, self.names
        uploads = f"{n.bucket_arn(names.input_bucket)}/{jobs.UPLOADS_PREFIX}*"
        outputs = f"{n.bucket_arn(names.output_bucket)}/{jobs.OUTPUTS_PREFIX}*"
        role, log_group = self.role(
            "Api",
            names.api_role,
            names.api_function,
            "answers the REST API",
            [
                self.table_statement("ManageJobs", ("GetItem", "UpdateItem", "Query")),
                allow(
                    "RememberIdempotencyKeys",
                    [f"dynamodb:{a}" for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")],
                    [n.dynamodb_table_arn(names.idempotency_table)],
                ),
                allow("SignUploads", ["s3:PutObject"], [uploads]),
                allow("SignDownloads", ["s3:GetObject"], [outputs]),
                *self._start_statements(),
            ],
            findings=[uploads, outputs],
            reason="Pre-signed uploads go under uploads/<job>/ and downloads come from "
            "jobs/<job>/, keys made from job ids generated at run time.",
        )
        bundle = lambda_bundle(
            names.api_function, RUNTIME / "api.py", POWERTOOLS_PACKAGES, modules=FUNCTION_MODULES
        )
        pins = ", ".join(f"{k}=={v}" for k, v in locked_versions(API_LIBRARIES).items())
        layer = lambda_.LayerVersion(
            self,
            "ApiLibraries",
            code=lambda_.Code.from_asset(str(python_layer(API_LIBRARIES, API_PYTHON))),
            compatible_runtimes=[LAMBDA_RUNTIME],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description=f"{pins} for Python {API_PYTHON} (requirements.lock)",
        )
        return lambda_.Function(
            self,
            "ApiFunction",
            function_name=names.api_function,
            description=f"Answers {names.rest_api}: jobs, uploads, conversions, downloads.",
            runtime=LAMBDA_RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=f"api.{API_HANDLER.rsplit(':', 1)[1]}",
            code=lambda_.Code.from_asset(str(bundle)),
            layers=[layer],
            role=role,
            timeout=API_TIMEOUT,
            memory_size=API_MEMORY_MB,
            log_group=log_group,
            environment=api_environment(n, self.own),
        )

    def _uploads_function(self, handler: ObjectCreatedHandler) -> lambda_.Function:
        n, names = self.naming, self.names
        uploads = f"{n.bucket_arn(names.input_bucket)}/{jobs.UPLOADS_PREFIX}*"
        dead_letters = dead_letter_queue(
            self,
            "UploadsDeadLetterQueue",
            handler.dead_letter_queue,
            holds="the upload events the confirmation could not handle after the retries",
        )
        role, log_group = self.role(
            "Uploads",
            names.uploads_role,
            handler.function_name,
            "confirms the jobs' uploads",
            [
                allow("ReadUploads", ["s3:GetObject", "s3:GetObjectVersion"], [uploads]),
                self.table_statement("ConfirmUploads", ("GetItem", "UpdateItem")),
                allow(
                    "SendFailedEventsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(handler.dead_letter_queue)],
                ),
            ],
            findings=[uploads],
            reason="The confirmation reads the first and last bytes of any upload under "
            "uploads/<job>/, keys made from job ids generated at run time.",
        )
        function = handler_function(
            self,
            "UploadsFunction",
            handler,
            description=f"Confirms the jobs' uploads to {handler.bucket}.",
            role=role,
            log_group=log_group,
            dead_letters=dead_letters,
            modules=FUNCTION_MODULES,
            max_event_age=EVENT_MAX_AGE,
        )
        rule = events.Rule(
            self,
            "UploadRule",
            rule_name=names.upload_rule,
            description=f"Objects created under {jobs.UPLOADS_PREFIX} of {handler.bucket}.",
            event_pattern=object_created(handler.bucket, prefix=jobs.UPLOADS_PREFIX),
        )
        rule.add_target(function_target(function, dead_letters, max_event_age=EVENT_MAX_AGE))
        return function

    def _sweeper_function(self, sweeper: ServiceFunction) -> lambda_.Function:
        sweep = Sweep(
            role_name=self.names.sweeper_role,
            job=self.names.job,
            statements=[
                self.table_statement("ManageRuns", ("GetItem", "UpdateItem", "Query")),
                *self._start_statements(),
            ],
            schedule=self.names.sweep_schedule,
            minutes=self.own.sweep_minutes,
            description="Starts waiting jobs-api conversions and fails stuck ones.",
            modules=FUNCTION_MODULES,
        )
        return sweeper_function(self, self.naming, sweeper, sweep, self.role)

    def role(
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
        """The Glue job does what the single-node function does; the post-deploy tests call
        the API (their role may invoke it) and read the jobs they made."""
        n, names = self.naming, self.names
        statements, wildcards = conversion_statements(self)
        attach_to_role(
            self,
            "JobAccessPolicy",
            role_name=n.glue_service_role,
            description=f"What {names.job} reads, writes and records.",
            statements=statements,
            wildcards=wildcards,
            reason=CONVERSION_REASON,
        )
        # the API's id is CloudFormation's to choose: any API's stage of this name and account
        api = f"arn:{n.partition}:execute-api:{n.region}:{n.account}:*/{n.stage}/*"
        attach_to_role(
            self,
            "TestAccessPolicy",
            role_name=n.test_role,
            description=f"What the post-deploy tests of {names.rest_api} may do.",
            statements=[
                allow("CallTheApi", ["execute-api:Invoke"], [api]),
                allow(
                    "ReadJobs",
                    ["dynamodb:GetItem"],
                    [n.dynamodb_table_arn(names.jobs_table)],
                ),
            ],
            wildcards=[api],
            reason="The post-deploy tests call every route of the stage's API, whose id "
            "CloudFormation generates: the resource names the stage, any method and path.",
        )
