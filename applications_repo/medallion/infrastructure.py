"""medallion's stack: its storage (``stack_storage``), the ingestion and recorder functions,
the transform and compaction jobs, the crawler and the Athena workgroup
(``stack_analytics``), the state machine (``stack_workflow``) and its three schedules, each
with its own role."""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import CfnElement, Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from applications_repo.medallion import stack_analytics, stack_storage, stack_workflow
from applications_repo.medallion.definition import INGESTION_MODULES, definition
from applications_repo.medallion.layers import CURATED_PREFIX, RAW_PREFIX
from applications_repo.medallion.names import MedallionNames
from applications_repo.medallion.settings import MedallionSettings
from shared import metrics
from shared.application import ServiceFunction
from shared.compliance import acknowledge
from shared.constructs.functions import dead_letter_queue, handler_function, lambda_role
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.logging import LogsKey, encrypted_log_group, own_provider_log_groups
from shared.constructs.shared_roles import allow, attach_to_role
from shared.naming import StageNaming
from shared.registry import AppContext

RECORDER_TIMEOUT = Duration.minutes(1)
SCHEDULE_RETRIES = 2
KEY_DELETION_DAYS = 30


def secret_arn_pattern(naming: StageNaming, name: str) -> str:
    """The ARNs of the secret ``name``: Secrets Manager ends each with six random
    characters."""
    region, account = naming.region, naming.account
    return f"arn:{naming.partition}:secretsmanager:{region}:{account}:secret:{name}-??????"


class MedallionStack(Stack):
    """GlueMedallionIngestion fetches a run date of the orders API into bronze,
    GlueMedallionTransform carries it to silver and gold, the crawler registers gold's
    partitions; glue-medallion-pipeline runs them daily and on demand."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: AppContext, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = n = context.naming
        self.names = names = MedallionNames(n)
        self.own: MedallionSettings = context.app
        self.context = context
        what = definition(n, self.own)
        ingestion, recorder = what.functions
        transform, compaction = what.jobs
        self.logs_key = LogsKey(
            self,
            "LogsKey",
            naming=n,
            alias=f"alias/{names.ingestion}-logs",
            description="Encrypts the logs of the medallion functions.",
            log_group_pattern=f"/aws/lambda/GlueMedallion*-{n.stage}",
        )
        self.data_key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{names.api_secret}",
            description="Encrypts the medallion API secret and notifications.",
            enable_key_rotation=True,
            pending_window=Duration.days(KEY_DELETION_DAYS),
        )
        self.buckets = stack_storage.buckets(self)
        self.table = stack_storage.checkpoints_table(self)
        self.secret = stack_storage.api_secret(self, self.data_key)
        self.topic = stack_storage.notifications_topic(self, self.data_key)
        self.ingestion = self._ingestion_function(ingestion)
        self.recorder = self._recorder_function(recorder)
        settings = self.own.glue(context.settings.glue)
        days = context.settings.logs.glue_retention_days
        self.jobs = [
            GlueSparkJob(
                self,
                f"{job_id}Job",
                naming=n,
                settings=settings,
                definition=job,
                log_retention_days=days,
            )
            for job_id, job in (("Transform", transform), ("Compaction", compaction))
        ]
        self.crawler = stack_analytics.crawler(self)
        stack_analytics.work_group(self, self.buckets["results"])
        self.state_machine = self._state_machine()
        self._schedules()
        self._grant_job_role()
        self._grant_test_role()
        own_provider_log_groups(self, naming=n, days=context.settings.logs.lambda_retention_days)

    def _function(
        self,
        construct_id: str,
        function: ServiceFunction,
        role_name: str,
        does: str,
        statements: list[iam.PolicyStatement],
        **options: Any,
    ) -> lambda_.Function:
        n = self.naming
        dead_letters = dead_letter_queue(
            self,
            f"{construct_id}DeadLetterQueue",
            function.dead_letter_queue,
            holds=f"the scheduled invocations of {function.function_name} that failed",
        )
        role, log_group = lambda_role(
            self,
            construct_id,
            naming=n,
            key=self.logs_key,
            retention_days=self.context.settings.logs.lambda_retention_days,
            role_name=role_name,
            function_name=function.function_name,
            does=does,
            statements=[
                *statements,
                allow(
                    "SendFailedInvocationsToDeadLetterQueue",
                    ["sqs:SendMessage"],
                    [n.queue_arn(function.dead_letter_queue)],
                ),
            ],
            findings=options.pop("findings", ()),
            reason=options.pop("reason", ""),
        )
        return handler_function(
            self,
            f"{construct_id}Function",
            function,
            role=role,
            log_group=log_group,
            dead_letters=dead_letters,
            modules=INGESTION_MODULES,
            **options,
        )

    def _ingestion_function(self, function: ServiceFunction) -> lambda_.Function:
        n, names, own = self.naming, self.names, self.own
        bronze = n.bucket_arn(names.bronze_bucket)
        raw = f"{bronze}/{RAW_PREFIX}*"
        return self._function(
            "Ingestion",
            function,
            names.ingestion_role,
            "fetches a run date of the orders API into bronze",
            [
                allow(
                    "ReadApiSecret",
                    ["secretsmanager:GetSecretValue"],
                    [secret_arn_pattern(n, names.api_secret)],
                ),
                allow("DecryptApiSecret", ["kms:Decrypt"], [self.data_key.key_arn]),
                allow(
                    "Checkpoint",
                    ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                    [self.table.table_arn],
                ),
                allow("ListBronze", ["s3:ListBucket"], [bronze]),
                allow("WriteRawPages", ["s3:PutObject", "s3:DeleteObject"], [raw]),
            ],
            findings=[raw],
            reason="The function writes any page or manifest of a run date under bronze's raw/ "
            "prefix (keys derive from the date).",
            description="Fetches one run date of the orders API into the bronze layer.",
            memory_size=own.ingestion_memory_mb,
            timeout=Duration.minutes(own.ingestion_timeout_minutes),
            reserved_concurrency=own.ingestion_concurrency,
        )

    def _recorder_function(self, function: ServiceFunction) -> lambda_.Function:
        names = self.names
        return self._function(
            "Recorder",
            function,
            names.recorder_role,
            "records each execution's cost and checks that today's run happened",
            [
                allow(
                    "ListExecutions",
                    ["states:ListExecutions"],
                    [names.state_machine_arn],
                )
            ],
            description="Records the cost of each medallion run; checks today's run happened.",
            timeout=RECORDER_TIMEOUT,
        )

    def _state_machine(self) -> Any:
        names = self.names
        states_key = LogsKey(
            self,
            "StatesLogsKey",
            naming=self.naming,
            alias=f"alias/{names.state_machine}-logs",
            description="Encrypts the execution logs of the medallion state machine.",
            log_group_pattern=names.state_machine_log_group,
        )
        log_group = encrypted_log_group(
            self,
            "PipelineLogs",
            name=names.state_machine_log_group,
            days=self.context.settings.logs.lambda_retention_days,
            key=states_key,
        )
        role = iam.Role(
            self,
            "PipelineRole",
            role_name=names.state_machine_role,
            description=f"Runs {names.state_machine}: invokes the medallion functions, runs "
            "its job and crawler, publishes its notifications.",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
        )
        self.data_key.grant(role, "kms:GenerateDataKey*", "kms:Decrypt")
        machine = stack_workflow.state_machine(
            self,
            ingestion=self.ingestion,
            recorder=self.recorder,
            topic=self.topic,
            log_group=log_group,
            role=role,
        )
        acknowledge(
            role,
            "IAM5",
            "Step Functions' log delivery and X-Ray calls take no resource (CDK's grants); "
            "the function grants cover their versions (:*) for the invoke task; the Glue "
            "task's GetJobRun/GetJobRuns/BatchStopJobRun are scoped to the job's runs.",
            findings=[
                "Resource::*",
                *(
                    f"Resource::<{self._logical_id(f)}.Arn>:*"
                    for f in (self.ingestion, self.recorder)
                ),
            ],
        )
        return machine

    def _logical_id(self, function: lambda_.Function) -> str:
        return self.get_logical_id(cast(CfnElement, function.node.default_child))

    def _schedules(self) -> None:
        names, own = self.names, self.own
        utc = TimeZone.ETC_UTC
        role = iam.Role(
            self,
            "SchedulerRole",
            description=f"Lets the medallion schedules start {names.state_machine}, "
            f"{names.compaction_job} and the freshness check.",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
        )
        acknowledge(
            role,
            "IAM5",
            "CDK's grant to invoke the recorder covers its versions (:*); the schedule "
            "invokes the unqualified function.",
            findings=[f"Resource::<{self._logical_id(self.recorder)}.Arn>:*"],
        )
        scheduler.Schedule(
            self,
            "DailySchedule",
            schedule_name=names.daily_schedule,
            description=f"Starts {names.state_machine} for the day ({own.schedule} UTC).",
            schedule=scheduler.ScheduleExpression.expression(own.schedule, utc),
            target=targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_object(
                    {"scheduled_time": scheduler.ContextAttribute.scheduled_time}
                ),
                retry_attempts=SCHEDULE_RETRIES,
                role=role,
            ),
        )
        scheduler.Schedule(
            self,
            "CompactionSchedule",
            schedule_name=names.compaction_schedule,
            description=f"Runs {names.compaction_job} weekly ({own.compaction_schedule} UTC).",
            schedule=scheduler.ScheduleExpression.expression(own.compaction_schedule, utc),
            target=targets.Universal(
                service="glue",
                action="startJobRun",
                input=scheduler.ScheduleTargetInput.from_object({"JobName": names.compaction_job}),
                policy_statements=[
                    iam.PolicyStatement(
                        actions=["glue:StartJobRun"],
                        resources=[self.naming.glue_job_arn(names.compaction_job)],
                    )
                ],
                retry_attempts=SCHEDULE_RETRIES,
                role=role,
            ),
        )
        scheduler.Schedule(
            self,
            "FreshnessSchedule",
            schedule_name=names.freshness_schedule,
            description=f"Checks at {own.success_by_hour}:00 UTC that today's run succeeded.",
            schedule=scheduler.ScheduleExpression.expression(
                f"cron(0 {own.success_by_hour} * * ? *)", utc
            ),
            target=targets.LambdaInvoke(
                self.recorder,
                input=scheduler.ScheduleTargetInput.from_object({"action": "check_freshness"}),
                retry_attempts=SCHEDULE_RETRIES,
                role=role,
            ),
        )

    def _grant_job_role(self) -> None:
        """The Glue jobs read bronze, write silver and gold, and keep the watermark."""
        n, names = self.naming, self.names
        bronze, silver, gold = (
            n.bucket_arn(b) for b in (names.bronze_bucket, names.silver_bucket, names.gold_bucket)
        )
        attach_to_role(
            self,
            "JobAccessPolicy",
            role_name=n.glue_service_role,
            description=f"What {names.job} and {names.compaction_job} read and write.",
            statements=[
                allow("ListLayers", ["s3:ListBucket"], [bronze, silver, gold]),
                allow("ReadBronze", ["s3:GetObject"], [f"{bronze}/*"]),
                allow(
                    "WriteSilverAndGold",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    [f"{silver}/*", f"{gold}/*"],
                ),
                allow(
                    "KeepWatermark",
                    ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                    [self.table.table_arn],
                ),
                iam.PolicyStatement(
                    sid="PublishMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}},
                ),
            ],
            wildcards=[f"{bronze}/*", f"{silver}/*", f"{gold}/*", "*"],
            reason="The jobs read any page of bronze and replace any file of a run date's "
            f"silver and gold folders ({CURATED_PREFIX}...; keys derive from the date); "
            "PutMetricData has no resource-level permissions and is limited to the "
            "platform's namespace.",
        )

    def _grant_test_role(self) -> None:
        """The post-deploy tests read the schedule and the crawler and start an execution
        without run dates (it fails at once, calling nothing)."""
        n, names = self.naming, self.names
        executions = names.state_machine_arn.replace(":stateMachine:", ":execution:")
        attach_to_role(
            self,
            "TestAccessPolicy",
            role_name=n.test_role,
            description=f"What the post-deploy tests of {names.state_machine} may do.",
            statements=[
                allow(
                    "ReadSchedule",
                    ["scheduler:GetSchedule"],
                    [
                        f"arn:{n.partition}:scheduler:{n.region}:{n.account}:schedule/default/"
                        f"{names.daily_schedule}"
                    ],
                ),
                allow("StartExecutions", ["states:StartExecution"], [names.state_machine_arn]),
                allow("ReadExecutions", ["states:DescribeExecution"], [f"{executions}:*"]),
                allow(
                    "ReadCrawler",
                    ["glue:GetCrawler"],
                    [f"arn:{n.partition}:glue:{n.region}:{n.account}:crawler/{names.crawler}"],
                ),
            ],
            wildcards=[f"{executions}:*"],
            reason="The post-deploy tests read the executions they start, whose names they "
            "choose at run time.",
        )
