"""ndjson-batching's stack: its three buckets, the file queue, the tracking table, the
manifest builder, the job starter, the state manager and its schedules, and the batch job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from applications_repo.ndjson_batching.definition import (
    FUNCTION_MODULES,
    STARTER_MODULES,
    definition,
)
from applications_repo.ndjson_batching.job.batch import TABLE
from applications_repo.ndjson_batching.manifest import MANIFEST_PREFIX
from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.settings import NdjsonBatchingSettings
from applications_repo.ndjson_batching.tracking import (
    ARRIVED,
    PARTITION_KEY,
    SORT_KEY,
    STATUS,
    STATUS_INDEX,
)
from shared import metrics
from shared.application import (
    IDEMPOTENCY_EXPIRY,
    IDEMPOTENCY_KEY,
    ObjectCreatedHandler,
    QueueHandler,
    ServiceFunction,
)
from shared.compliance import acknowledge
from shared.constructs.functions import dead_letter_queue, function_target, handler_function
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.logging import LogsKey, encrypted_log_group
from shared.constructs.secure_bucket import SecureBucket
from shared.constructs.shared_roles import allow, attach_to_role
from shared.glue.catalog import CATALOG_ACTIONS
from shared.naming import QUARANTINE_PREFIX
from shared.registry import AppContext

STARTER_MEMORY_MB = 128
BUILDER_MEMORY_MB = 256
STATE_MANAGER_TIMEOUT = Duration.minutes(5)
HEALTH_CHECK_MINUTES = 15
EVENT_MAX_AGE = Duration.hours(6)
PARTITION_ACTIONS = ("glue:GetPartition", "glue:CreatePartition", "glue:UpdatePartition")


class NdjsonBatchingStack(Stack):
    """Uploads to glue-ndjson-input-{stage} reach GlueNdjsonManifestBuilder through the
    GlueNdjsonFiles queue; manifests it writes start GlueNdjsonBatchToParquet through
    GlueNdjsonJobStarter; GlueNdjsonStateManager sweeps on a schedule and serves operators."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: AppContext, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = n = context.naming
        self.names = NdjsonNames(n)
        self.own: NdjsonBatchingSettings = context.app
        self.context = context
        what = definition(n, self.own)
        [builder] = what.queue_handlers
        [starter] = what.handlers
        [state_manager] = what.functions
        [job] = what.jobs
        self.key = LogsKey(
            self,
            "LogsKey",
            naming=n,
            alias=f"alias/{self.names.builder}-logs",
            description="Encrypts the logs of the ndjson-batching functions.",
            log_group_pattern=f"/aws/lambda/GlueNdjson*-{n.stage}",
        )
        self.input_bucket, self.manifest_bucket, self.output_bucket = self._buckets()
        self.tracking_table = self._tracking_table()
        self.queue = self._queue(builder)
        self.builder = self._builder(builder)
        self.starter = self._starter(starter)
        self.state_manager = self._state_manager(state_manager)
        glue_settings = context.settings.glue.model_copy(
            update={
                "worker_type": self.own.worker_type,
                "min_workers": self.own.workers,
                "max_workers": self.own.workers,
                "max_concurrent_runs": self.own.max_concurrent_runs,
            }
        )
        self.job = GlueSparkJob(
            self,
            "BatchJob",
            naming=n,
            settings=glue_settings,
            definition=job,
            log_retention_days=context.settings.logs.lambda_retention_days,
        )
        self._grant_shared_roles()

    # storage
    def _buckets(self) -> tuple[SecureBucket, SecureBucket, SecureBucket]:
        n, names, storage = self.naming, self.names, self.context.settings.storage
        retain = self.context.settings.retain_data
        access_logs = s3.Bucket.from_bucket_name(self, "AccessLogsBucket", n.access_logs_bucket)
        common: dict[str, Any] = {
            "access_logs_bucket": access_logs,
            "versioned": True,
            "noncurrent_expiration_days": storage.noncurrent_version_expiration_days,
            "retain": retain,
        }
        input_bucket = SecureBucket(
            self,
            "InputBucket",
            bucket_name=names.input_bucket,
            expiration_days=self.own.input_expiration_days,
            event_bridge_enabled=True,
            prefix_expirations=(
                (
                    QUARANTINE_PREFIX,
                    max(self.own.input_expiration_days, storage.quarantine_expiration_days),
                ),
            ),
            **common,
        )
        manifest_bucket = SecureBucket(
            self,
            "ManifestBucket",
            bucket_name=names.manifest_bucket,
            expiration_days=self.own.manifest_expiration_days,
            event_bridge_enabled=True,
            **common,
        )
        output_bucket = SecureBucket(
            self,
            "OutputBucket",
            bucket_name=names.output_bucket,
            expiration_days=storage.output_expiration_days,
            **common,
        )
        for bucket in (input_bucket, manifest_bucket, output_bucket):
            Annotations.of(bucket).acknowledge_warning(
                "@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
                "The stage's log bucket (the storage stack's) accepts the server access logs "
                "of every glue-* bucket of its account under the bucket's name.",
            )
        return input_bucket, manifest_bucket, output_bucket

    def _tracking_table(self) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            "TrackingTable",
            table_name=self.names.tracking_table,
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=STATUS_INDEX,
                    partition_key=dynamodb.Attribute(
                        name=STATUS, type=dynamodb.AttributeType.STRING
                    ),
                    sort_key=dynamodb.Attribute(name=ARRIVED, type=dynamodb.AttributeType.NUMBER),
                )
            ],
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN
            if self.context.settings.retain_data
            else RemovalPolicy.DESTROY,
        )

    # the builder
    def _queue(self, builder: QueueHandler) -> sqs.Queue:
        dead_letters = dead_letter_queue(
            self,
            "FilesDeadLetterQueue",
            builder.dead_letter_queue,
            holds=f"the file events {builder.function_name} failed on "
            f"{self.own.queue_max_receives} times",
        )
        queue = sqs.Queue(
            self,
            "FilesQueue",
            queue_name=builder.queue,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(self.own.queue_visibility_seconds),
            retention_period=Duration.days(14),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=self.own.queue_max_receives, queue=dead_letters
            ),
        )
        rule = events.Rule(
            self,
            "FileCreatedRule",
            rule_name=self.names.input_rule,
            description=f"Objects created in {builder.bucket}, outside its quarantine.",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [builder.bucket]},
                    "object": {"key": [{"anything-but": {"prefix": QUARANTINE_PREFIX}}]},
                },
            ),
        )
        rule.add_target(
            targets.SqsQueue(
                queue, dead_letter_queue=dead_letters, retry_attempts=2, max_event_age=EVENT_MAX_AGE
            )
        )
        self.files_dead_letters = dead_letters
        return queue

    def _builder(self, builder: QueueHandler) -> lambda_.Function:
        n, names = self.naming, self.names
        input_objects = f"{n.bucket_arn(names.input_bucket)}/*"
        quarantine_objects = f"{n.bucket_arn(names.input_bucket)}/{QUARANTINE_PREFIX}*"
        manifest_objects = f"{n.bucket_arn(names.manifest_bucket)}/*"
        role, log_group = self._function_role(
            "Builder",
            names.builder_role,
            builder.function_name,
            "tracks and batches NDJSON files",
            [
                allow("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [input_objects]),
                allow("QuarantineInvalidInput", ["s3:PutObject"], [quarantine_objects]),
                allow("WriteManifests", ["s3:PutObject"], [manifest_objects]),
                self._tracking_statement(),
                allow(
                    "SendFailedInvocationsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(builder.dead_letter_queue)],
                ),
                allow(
                    "ConsumeFileQueue",
                    ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    [self.queue.queue_arn],
                ),
            ],
            findings=[input_objects, quarantine_objects, manifest_objects],
            reason="The builder reads any upload of its input bucket, quarantines only under "
            "its quarantine/ prefix and writes manifests (keys carry their ids); it uses only "
            "its tracking table's status index.",
        )
        function = handler_function(
            self,
            "BuilderFunction",
            builder,
            description=f"Tracks uploads to {builder.bucket} and writes manifests of full batches.",
            role=role,
            log_group=log_group,
            dead_letters=self.files_dead_letters,
            modules=FUNCTION_MODULES,
            timeout=Duration.seconds(self.own.builder_timeout_seconds),
            memory_size=BUILDER_MEMORY_MB,
            reserved_concurrency=self.own.builder_concurrency,
        )
        function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=self.own.queue_batch_size,
                report_batch_item_failures=True,
                max_concurrency=max(2, self.own.builder_concurrency),
            )
        )
        return function

    # the starter
    def _starter(self, starter: ObjectCreatedHandler) -> lambda_.Function:
        n, names = self.naming, self.names
        dead_letters = dead_letter_queue(
            self,
            "StarterDeadLetterQueue",
            starter.dead_letter_queue,
            holds="the manifest events whose batch job could not be started after the retries",
        )
        dynamodb.TableV2(
            self,
            "StarterIdempotencyTable",
            table_name=starter.idempotency_table,
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
        role, log_group = self._function_role(
            "Starter",
            names.starter_role,
            starter.function_name,
            f"starts {names.job} on each manifest",
            [
                allow("StartBatchJob", ["glue:StartJobRun"], [n.glue_job_arn(names.job)]),
                allow(
                    "RecordHandledEvents",
                    [f"dynamodb:{a}" for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")],
                    [n.dynamodb_table_arn(starter.idempotency_table)],
                ),
                allow(
                    "SendFailedEventsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(starter.dead_letter_queue)],
                ),
            ],
        )
        function = handler_function(
            self,
            "StarterFunction",
            starter,
            description=f"Starts {names.job} on each manifest written to {starter.bucket}.",
            role=role,
            log_group=log_group,
            dead_letters=dead_letters,
            modules=STARTER_MODULES,
            memory_size=STARTER_MEMORY_MB,
            max_event_age=EVENT_MAX_AGE,
        )
        rule = events.Rule(
            self,
            "ManifestCreatedRule",
            rule_name=names.manifest_rule,
            description=f"Manifests created in {starter.bucket}.",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [starter.bucket]},
                    "object": {"key": [{"prefix": MANIFEST_PREFIX}]},
                },
            ),
        )
        rule.add_target(function_target(function, dead_letters, max_event_age=EVENT_MAX_AGE))
        return function

    # the state manager
    def _state_manager(self, state_manager: ServiceFunction) -> lambda_.Function:
        n, names = self.naming, self.names
        dead_letters = dead_letter_queue(
            self,
            "StateManagerDeadLetterQueue",
            state_manager.dead_letter_queue,
            holds="the scheduled sweeps and health checks that failed after their retries",
        )
        input_objects = f"{n.bucket_arn(names.input_bucket)}/*"
        manifest_objects = f"{n.bucket_arn(names.manifest_bucket)}/*"
        alerts = n.topic_arn(n.alerts_topic)
        role, log_group = self._function_role(
            "StateManager",
            names.state_manager_role,
            state_manager.function_name,
            "sweeps, retries and reports ndjson-batching's files",
            [
                allow("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [input_objects]),
                allow(
                    "ReadAndWriteManifests", ["s3:GetObject", "s3:PutObject"], [manifest_objects]
                ),
                self._tracking_statement(),
                allow("RerunBatches", ["glue:StartJobRun"], [n.glue_job_arn(names.job)]),
                allow("AlertStuckFiles", ["sns:Publish"], [alerts]),
                iam.PolicyStatement(
                    sid="UseAlertsKey",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[f"arn:{n.partition}:kms:{n.region}:{n.account}:key/*"],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"sns.{n.region}.amazonaws.com"}
                    },
                ),
                allow(
                    "SendFailedRunsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(state_manager.dead_letter_queue)],
                ),
            ],
            findings=[
                input_objects,
                manifest_objects,
                f"arn:{n.partition}:kms:{n.region}:{n.account}:key/*",
            ],
            reason="The state manager re-checks any upload of its input bucket and reads and "
            "writes manifests (keys carry their ids); the alerts topic's key is another stack's, "
            "known by its alias only, and kms:ViaService limits its use to SNS.",
        )
        function = handler_function(
            self,
            "StateManagerFunction",
            state_manager,
            description="Sweeps, retries, re-queues and reports the files of ndjson-batching.",
            role=role,
            log_group=log_group,
            dead_letters=dead_letters,
            modules=FUNCTION_MODULES,
            timeout=STATE_MANAGER_TIMEOUT,
            max_event_age=EVENT_MAX_AGE,
        )
        schedules = [(names.sweep_schedule, self.own.sweep_minutes, "sweep", "ships aged batches")]
        if self.own.health_check:
            schedules.append(
                (names.health_schedule, HEALTH_CHECK_MINUTES, "health", "alerts on stuck files")
            )
        for name, minutes, action, what in schedules:
            rule = events.Rule(
                self,
                f"{action.title()}Schedule",
                rule_name=name,
                description=f"Every {minutes} minutes, {state_manager.function_name} {what}.",
                schedule=events.Schedule.rate(Duration.minutes(minutes)),
            )
            rule.add_target(
                targets.LambdaFunction(
                    function,
                    event=events.RuleTargetInput.from_object({"action": action}),
                    dead_letter_queue=dead_letters,
                    retry_attempts=2,
                    max_event_age=EVENT_MAX_AGE,
                )
            )
        return function

    # shared
    def _tracking_statement(self) -> iam.PolicyStatement:
        table = self.naming.dynamodb_table_arn(self.names.tracking_table)
        return allow(
            "TrackFiles",
            [f"dynamodb:{a}" for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")],
            [table, f"{table}/index/{STATUS_INDEX}"],
        )

    def _function_role(
        self,
        construct_id: str,
        role_name: str,
        function_name: str,
        does: str,
        statements: Sequence[iam.PolicyStatement],
        *,
        findings: Sequence[str] = (),
        reason: str = "",
    ) -> tuple[iam.IRole, Any]:
        """A role only Lambda may assume, its one managed policy (``statements`` and its own
        log streams), and the function's encrypted log group."""
        log_group_name = self.names.log_group(function_name)
        log_group_arn = self.naming.log_group_arn(log_group_name)
        role = iam.Role(
            self,
            f"{construct_id}Role",
            role_name=role_name,
            description=f"Runs {function_name}: {does}.",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        policy = iam.ManagedPolicy(
            self,
            f"{construct_id}Policy",
            description=f"What {function_name} may do.",
            roles=[role],
            statements=[
                *statements,
                allow(
                    "WriteOwnLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [log_group_arn, f"{log_group_arn}:log-stream:*"],
                ),
            ],
        )
        acknowledge(
            policy,
            "IAM5",
            (f"{reason} " if reason else "") + "Log streams of the function's own log group are "
            "created at run time with generated names.",
            findings=[f"Resource::{f}" for f in (*findings, f"{log_group_arn}:log-stream:*")],
        )
        log_group = encrypted_log_group(
            self,
            f"{construct_id}LogGroup",
            name=log_group_name,
            days=self.context.settings.logs.lambda_retention_days,
            key=self.key,
        )
        return role.without_policy_updates(), log_group

    def _grant_shared_roles(self) -> None:
        """The job reads manifests and inputs, writes the output, moves statuses and points
        partitions; the post-deploy tests run it and read the tracking table."""
        n, names = self.naming, self.names
        input_objects = f"{n.bucket_arn(names.input_bucket)}/*"
        manifest_objects = f"{n.bucket_arn(names.manifest_bucket)}/*"
        output_objects = f"{n.bucket_arn(names.output_bucket)}/*"
        tables = n.glue_arn(f"table/{n.database}/*")
        attach_to_role(
            self,
            "JobAccessPolicy",
            role_name=n.glue_service_role,
            description=f"What {names.job} reads, writes and records.",
            statements=[
                allow(
                    "ReadManifestsAndInputs",
                    ["s3:GetObject", "s3:GetObjectVersion"],
                    [manifest_objects, input_objects],
                ),
                allow("ListOutput", ["s3:ListBucket"], [n.bucket_arn(names.output_bucket)]),
                allow(
                    "WriteOutput",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    [output_objects],
                ),
                self._tracking_statement(),
                allow(
                    "PointPartitions",
                    [*CATALOG_ACTIONS, *PARTITION_ACTIONS],
                    [n.glue_arn("catalog"), n.glue_arn(f"database/{n.database}"), tables],
                ),
                iam.PolicyStatement(
                    sid="PublishRowMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}},
                ),
            ],
            wildcards=[manifest_objects, input_objects, output_objects, tables, "*"],
            reason=f"The job reads any manifest and upload of its buckets, writes any key of "
            f"its output bucket (keys carry manifest and run ids), points partitions of "
            f"{TABLE} in the stage's database only; PutMetricData has no resource-level "
            "permissions and is limited to the platform's namespace.",
        )
        attach_to_role(
            self,
            "TestAccessPolicy",
            role_name=n.test_role,
            description=f"What the post-deploy tests of {names.job} may do.",
            statements=[
                allow(
                    "RunBatchJob",
                    ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
                    [n.glue_job_arn(names.job)],
                ),
                allow(
                    "ReadTracking",
                    ["dynamodb:GetItem", "dynamodb:Query"],
                    [
                        n.dynamodb_table_arn(names.tracking_table),
                        f"{n.dynamodb_table_arn(names.tracking_table)}/index/{STATUS_INDEX}",
                    ],
                ),
            ],
        )
