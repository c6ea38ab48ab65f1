"""FileProcessorV2's stack: the trigger Lambda, its role and event wiring, and the Glue job."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from applications_repo.file_processor.definition import TRIGGER_MEMORY_MB, definition
from applications_repo.file_processor.names import FileProcessorNames
from shared import metrics
from shared.application import (
    IDEMPOTENCY_EXPIRY,
    IDEMPOTENCY_KEY,
    FunctionJob,
    ObjectCreatedHandler,
)
from shared.compliance import acknowledge
from shared.constructs.functions import (
    dead_letter_queue,
    function_target,
    handler_function,
    job_function,
    object_created,
)
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.logging import LogsKey, encrypted_log_group
from shared.constructs.shared_roles import allow, attach_to_role
from shared.glue.catalog import CATALOG_ACTIONS
from shared.naming import QUARANTINE_PREFIX
from shared.registry import AppContext

TRIGGER_MODULES = (
    "shared.outcomes",
    "shared.quarantine",
    "shared.metrics",
    "applications_repo.file_processor.engine_choice",
    "applications_repo.file_processor.metrics",
    "applications_repo.file_processor.uploads",
)
EVENT_MAX_AGE = Duration.hours(6)


class FileProcessorStack(Stack):
    """GlueTriggerLambda-{stage} with its role, fired by the input bucket's "Object Created"
    events through an EventBridge rule, with an encrypted dead-letter queue; FileProcessorV2-
    {stage}, and what it and its post-deploy tests may do beyond the shared roles."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: AppContext, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = n = context.naming
        self.names = FileProcessorNames(n)
        settings = context.settings
        what = definition(n, settings, context.app)
        [handler] = what.handlers
        [job] = what.jobs
        [single_node] = what.function_jobs
        self.key = self._logs_key(
            "LogsKey", self.names.trigger_function, self.names.trigger_log_group
        )
        self.dead_letter_queue = dead_letter_queue(
            self,
            "DeadLetterQueue",
            handler.dead_letter_queue,
            holds="the trigger events that Lambda or EventBridge could not deliver after their "
            "retries",
        )
        self.idempotency_table = dynamodb.TableV2(
            self,
            "IdempotencyTable",
            table_name=handler.idempotency_table,
            partition_key=dynamodb.Attribute(
                name=IDEMPOTENCY_KEY, type=dynamodb.AttributeType.STRING
            ),
            time_to_live_attribute=IDEMPOTENCY_EXPIRY,
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.single_node = self._single_node_function(context, single_node)
        self.trigger_role = self._trigger_role()
        self.trigger = self._trigger_function(context, handler)
        self.rule = self._object_created_rule(handler)
        self.job = GlueSparkJob(
            self,
            "FileProcessor",
            naming=n,
            settings=settings.glue,
            definition=job,
            log_retention_days=settings.logs.lambda_retention_days,
        )
        self._grant_shared_roles()

    def _logs_key(self, construct_id: str, function_name: str, log_group: str) -> LogsKey:
        return LogsKey(
            self,
            construct_id,
            naming=self.naming,
            alias=f"alias/{function_name}-logs",
            description=f"Encrypts the logs of {function_name}.",
            log_group_pattern=log_group,
        )

    def _function_role(self, construct_id: str, name: str, description: str) -> iam.Role:
        """A role only Lambda may assume; its one managed policy is added by the caller."""
        return iam.Role(
            self,
            construct_id,
            role_name=name,
            description=description,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )

    def _trigger_role(self) -> iam.Role:
        n, names = self.naming, self.names
        role = self._function_role(
            "TriggerRole",
            names.trigger_role,
            f"Runs {names.trigger_function}: starts {names.job} runs.",
        )
        log_group = n.log_group_arn(names.trigger_log_group)
        input_objects = f"{n.bucket_arn(n.input_bucket)}/*"
        quarantine_objects = f"{n.bucket_arn(n.input_bucket)}/{QUARANTINE_PREFIX}*"
        policy = iam.ManagedPolicy(
            self,
            "TriggerPolicy",
            description=f"What {names.trigger_function} may do.",
            roles=[role],
            statements=[
                allow(
                    "StartFileProcessorRuns",
                    ["glue:StartJobRun", "glue:GetJobRuns"],
                    [n.glue_job_arn(names.job)],
                ),
                allow(
                    "StartSingleNodeRuns",
                    ["lambda:InvokeFunction"],
                    [self.single_node.function_arn],
                ),
                allow(
                    "WriteOwnLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [log_group, f"{log_group}:log-stream:*"],
                ),
                allow(
                    "SendFailedEventsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(names.dead_letter_queue)],
                ),
                allow(
                    "ReadRejectedUploads", ["s3:GetObject", "s3:GetObjectVersion"], [input_objects]
                ),
                allow("QuarantineRejectedUploads", ["s3:PutObject"], [quarantine_objects]),
                allow(
                    "RecordHandledEvents",
                    [
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                    ],
                    [n.dynamodb_table_arn(names.idempotency_table)],
                ),
            ],
        )
        acknowledge(
            policy,
            "IAM5",
            "Log streams of the function's own log group are created at run time with "
            "generated names; rejected uploads can be any key of the input bucket and are "
            "copied only under its quarantine/ prefix.",
            findings=[
                f"Resource::{log_group}:log-stream:*",
                f"Resource::{input_objects}",
                f"Resource::{quarantine_objects}",
            ],
        )
        return role

    def _single_node_function(self, context: AppContext, job: FunctionJob) -> lambda_.Function:
        """FileProcessorV2 for files up to the single-node size, on Lambda: its role may
        read the input bucket, quarantine, write the output bucket and the stage's catalog
        database, publish the job's row metrics, and dead-letter failed runs."""
        n, names = self.naming, self.names
        dead_letters = dead_letter_queue(
            self,
            "SingleNodeDeadLetterQueue",
            job.dead_letter_queue,
            holds=f"the {names.single_node_function} runs that failed after Lambda's retries",
        )
        role = self._function_role(
            "SingleNodeRole",
            names.single_node_role,
            f"Runs {names.single_node_function}: {names.job} on one machine.",
        )
        log_group = n.log_group_arn(names.single_node_log_group)
        input_objects = f"{n.bucket_arn(n.input_bucket)}/*"
        quarantine_objects = f"{n.bucket_arn(n.input_bucket)}/{QUARANTINE_PREFIX}*"
        output_objects = f"{n.bucket_arn(n.output_bucket)}/*"
        tables = n.glue_arn(f"table/{n.database}/*")
        policy = iam.ManagedPolicy(
            self,
            "SingleNodePolicy",
            description=f"What {names.single_node_function} may do.",
            roles=[role],
            statements=[
                allow(
                    "ListDataBuckets",
                    ["s3:ListBucket"],
                    [n.bucket_arn(n.input_bucket), n.bucket_arn(n.output_bucket)],
                ),
                allow("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [input_objects]),
                allow("QuarantineRejectedInput", ["s3:PutObject"], [quarantine_objects]),
                allow(
                    "WriteOutput",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                    [output_objects],
                ),
                allow(
                    "UseCatalogDatabase",
                    list(CATALOG_ACTIONS),
                    [n.glue_arn("catalog"), n.glue_arn(f"database/{n.database}"), tables],
                ),
                iam.PolicyStatement(
                    sid="PublishRowMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}},
                ),
                allow(
                    "WriteOwnLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [log_group, f"{log_group}:log-stream:*"],
                ),
                allow(
                    "SendFailedRunsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(job.dead_letter_queue)],
                ),
            ],
        )
        acknowledge(
            policy,
            "IAM5",
            "A single-node run reads any upload of the stage's input bucket and quarantines "
            "only under its quarantine/ prefix; writes any key of the output bucket (keys "
            "derive from the inputs' names); manages tables only in the stage's catalog "
            "database; creates log streams only in its own log group.",
            findings=[
                f"Resource::{input_objects}",
                f"Resource::{quarantine_objects}",
                f"Resource::{output_objects}",
                f"Resource::{tables}",
                f"Resource::{log_group}:log-stream:*",
            ],
        )
        acknowledge(
            policy,
            "IAM5",
            "CloudWatch PutMetricData has no resource-level permissions; the statement is "
            "limited by the cloudwatch:namespace condition to the platform's namespace.",
            findings=["Resource::*"],
        )
        function_log_group = encrypted_log_group(
            self,
            "SingleNodeLogGroup",
            name=names.single_node_log_group,
            days=context.settings.logs.lambda_retention_days,
            key=self._logs_key(
                "SingleNodeLogsKey", names.single_node_function, names.single_node_log_group
            ),
        )
        return job_function(
            self,
            "SingleNodeFunction",
            job,
            role=role.without_policy_updates(),
            log_group=function_log_group,
            dead_letters=dead_letters,
            max_event_age=EVENT_MAX_AGE,
        )

    def _trigger_function(
        self, context: AppContext, handler: ObjectCreatedHandler
    ) -> lambda_.Function:
        n, names = self.naming, self.names
        log_group = encrypted_log_group(
            self,
            "TriggerLogGroup",
            name=names.trigger_log_group,
            days=context.settings.logs.lambda_retention_days,
            key=self.key,
        )
        return handler_function(
            self,
            "TriggerFunction",
            handler,
            description=f"Validates uploads to {n.input_bucket} and starts {names.job}.",
            role=self.trigger_role.without_policy_updates(),
            log_group=log_group,
            dead_letters=self.dead_letter_queue,
            modules=TRIGGER_MODULES,
            memory_size=TRIGGER_MEMORY_MB,
            max_event_age=EVENT_MAX_AGE,
        )

    def _object_created_rule(self, handler: ObjectCreatedHandler) -> events.Rule:
        rule = events.Rule(
            self,
            "ObjectCreatedRule",
            rule_name=self.names.trigger_rule,
            description=f"Objects created in {handler.bucket}, outside its quarantine.",
            event_pattern=object_created(handler.bucket, excluded_prefix=handler.excluded_prefix),
        )
        rule.add_target(
            function_target(self.trigger, self.dead_letter_queue, max_event_age=EVENT_MAX_AGE)
        )
        return rule

    def _grant_shared_roles(self) -> None:
        """The job reads the input bucket and quarantines what it rejects; the post-deploy
        tests run the job and read the dead-letter queue."""
        n, names = self.naming, self.names
        input_objects = f"{n.bucket_arn(n.input_bucket)}/*"
        quarantine_objects = f"{n.bucket_arn(n.input_bucket)}/{QUARANTINE_PREFIX}*"
        attach_to_role(
            self,
            "JobAccessPolicy",
            role_name=n.glue_service_role,
            description=f"What {names.job} reads and quarantines.",
            statements=[
                allow("ListInput", ["s3:ListBucket"], [n.bucket_arn(n.input_bucket)]),
                allow("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [input_objects]),
                allow("QuarantineRejectedInput", ["s3:PutObject"], [quarantine_objects]),
            ],
            wildcards=[input_objects, quarantine_objects],
            reason="The job reads any upload of the stage's input bucket (keys are the users' "
            "file names) and writes only under its quarantine/ prefix.",
        )
        attach_to_role(
            self,
            "TestAccessPolicy",
            role_name=n.test_role,
            description=f"What the post-deploy tests of {names.job} may do.",
            statements=[
                allow(
                    "RunFileProcessor",
                    ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
                    [n.glue_job_arn(names.job)],
                ),
                allow(
                    "ReadDeadLetterQueue",
                    ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                    [n.queue_arn(names.dead_letter_queue)],
                ),
            ],
        )
