"""ndjson-batching's functions: the manifest builder on the file queue, the job starter on
the manifest bucket's events, the state manager and its schedules; each with its own role
(one managed policy) and encrypted log group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources

from applications_repo.ndjson_batching.definition import FUNCTION_MODULES, STARTER_MODULES
from applications_repo.ndjson_batching.manifest import MANIFEST_PREFIX
from applications_repo.ndjson_batching.tracking import STATUS_INDEX
from shared.application import (
    IDEMPOTENCY_EXPIRY,
    IDEMPOTENCY_KEY,
    ObjectCreatedHandler,
    QueueHandler,
    ServiceFunction,
)
from shared.constructs.functions import (
    dead_letter_queue,
    function_target,
    handler_function,
    lambda_role,
    object_created,
)
from shared.constructs.shared_roles import allow
from shared.naming import QUARANTINE_PREFIX

if TYPE_CHECKING:
    from applications_repo.ndjson_batching.infrastructure import NdjsonBatchingStack

STARTER_MEMORY_MB = 128
BUILDER_MEMORY_MB = 256
STATE_MANAGER_TIMEOUT = Duration.minutes(5)
HEALTH_CHECK_MINUTES = 15
EVENT_MAX_AGE = Duration.hours(6)


def builder_function(stack: NdjsonBatchingStack, builder: QueueHandler) -> lambda_.Function:
    n, names = stack.naming, stack.names
    input_objects = f"{n.bucket_arn(names.input_bucket)}/*"
    quarantine_objects = f"{n.bucket_arn(names.input_bucket)}/{QUARANTINE_PREFIX}*"
    manifest_objects = f"{n.bucket_arn(names.manifest_bucket)}/*"
    role, log_group = function_role(
        stack,
        "Builder",
        role_name=names.builder_role,
        function_name=builder.function_name,
        does="tracks and batches NDJSON files",
        statements=[
            allow("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [input_objects]),
            allow("QuarantineInvalidInput", ["s3:PutObject"], [quarantine_objects]),
            allow("WriteManifests", ["s3:PutObject"], [manifest_objects]),
            tracking_statement(stack),
            allow(
                "SendFailedInvocationsToDeadLetterQueue",
                ["sqs:SendMessage"],
                [n.queue_arn(builder.dead_letter_queue)],
            ),
            allow(
                "ConsumeFileQueue",
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                [stack.queue.queue_arn],
            ),
        ],
        findings=[input_objects, quarantine_objects, manifest_objects],
        reason="The builder reads any upload of its input bucket, quarantines only under "
        "its quarantine/ prefix and writes manifests (keys carry their ids); it uses only "
        "its tracking table's status index.",
    )
    function = handler_function(
        stack,
        "BuilderFunction",
        builder,
        description=f"Tracks uploads to {builder.bucket} and writes manifests of full batches.",
        role=role,
        log_group=log_group,
        dead_letters=stack.files_dead_letters,
        modules=FUNCTION_MODULES,
        timeout=Duration.seconds(stack.own.builder_timeout_seconds),
        memory_size=BUILDER_MEMORY_MB,
        reserved_concurrency=stack.own.builder_concurrency,
    )
    function.add_event_source(
        sources.SqsEventSource(
            stack.queue,
            batch_size=stack.own.queue_batch_size,
            report_batch_item_failures=True,
            max_concurrency=max(2, stack.own.builder_concurrency),
        )
    )
    return function


def starter_function(stack: NdjsonBatchingStack, starter: ObjectCreatedHandler) -> lambda_.Function:
    n, names = stack.naming, stack.names
    dead_letters = dead_letter_queue(
        stack,
        "StarterDeadLetterQueue",
        starter.dead_letter_queue,
        holds="the manifest events whose batch job could not be started after the retries",
    )
    dynamodb.TableV2(
        stack,
        "StarterIdempotencyTable",
        table_name=starter.idempotency_table,
        partition_key=dynamodb.Attribute(name=IDEMPOTENCY_KEY, type=dynamodb.AttributeType.STRING),
        time_to_live_attribute=IDEMPOTENCY_EXPIRY,
        billing=dynamodb.Billing.on_demand(),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=RemovalPolicy.DESTROY,
    )
    role, log_group = function_role(
        stack,
        "Starter",
        role_name=names.starter_role,
        function_name=starter.function_name,
        does=f"starts {names.job} on each manifest",
        statements=[
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
        stack,
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
        stack,
        "ManifestCreatedRule",
        rule_name=names.manifest_rule,
        description=f"Manifests created in {starter.bucket}.",
        event_pattern=object_created(starter.bucket, prefix=MANIFEST_PREFIX),
    )
    rule.add_target(function_target(function, dead_letters, max_event_age=EVENT_MAX_AGE))
    return function


def state_manager_function(
    stack: NdjsonBatchingStack, state_manager: ServiceFunction
) -> lambda_.Function:
    n, names = stack.naming, stack.names
    dead_letters = dead_letter_queue(
        stack,
        "StateManagerDeadLetterQueue",
        state_manager.dead_letter_queue,
        holds="the scheduled sweeps and health checks that failed after their retries",
    )
    input_objects = f"{n.bucket_arn(names.input_bucket)}/*"
    manifest_objects = f"{n.bucket_arn(names.manifest_bucket)}/*"
    alerts = n.topic_arn(n.alerts_topic)
    role, log_group = function_role(
        stack,
        "StateManager",
        role_name=names.state_manager_role,
        function_name=state_manager.function_name,
        does="sweeps, retries and reports ndjson-batching's files",
        statements=[
            allow("ReadInput", ["s3:GetObject", "s3:GetObjectVersion"], [input_objects]),
            allow("ReadAndWriteManifests", ["s3:GetObject", "s3:PutObject"], [manifest_objects]),
            tracking_statement(stack),
            allow("RerunBatches", ["glue:StartJobRun"], [n.glue_job_arn(names.job)]),
            allow("AlertStuckFiles", ["sns:Publish"], [alerts]),
            iam.PolicyStatement(
                sid="UseAlertsKey",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[f"arn:{n.partition}:kms:{n.region}:{n.account}:key/*"],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{n.region}.amazonaws.com"}},
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
        stack,
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
    schedules = [(names.sweep_schedule, stack.own.sweep_minutes, "sweep", "ships aged batches")]
    if stack.own.health_check:
        schedules.append(
            (names.health_schedule, HEALTH_CHECK_MINUTES, "health", "alerts on stuck files")
        )
    for name, minutes, action, what in schedules:
        rule = events.Rule(
            stack,
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


def tracking_statement(stack: NdjsonBatchingStack) -> iam.PolicyStatement:
    table = stack.naming.dynamodb_table_arn(stack.names.tracking_table)
    return allow(
        "TrackFiles",
        [f"dynamodb:{a}" for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")],
        [table, f"{table}/index/{STATUS_INDEX}"],
    )


def function_role(
    stack: NdjsonBatchingStack,
    construct_id: str,
    *,
    role_name: str,
    function_name: str,
    does: str,
    statements: Sequence[iam.PolicyStatement],
    findings: Sequence[str] = (),
    reason: str = "",
) -> tuple[iam.IRole, Any]:
    """``shared.constructs.functions.function_role`` with the stack's logs key."""
    return lambda_role(
        stack,
        construct_id,
        naming=stack.naming,
        key=stack.key,
        retention_days=stack.context.settings.logs.lambda_retention_days,
        role_name=role_name,
        function_name=function_name,
        does=does,
        statements=statements,
        findings=findings,
        reason=reason,
    )
