"""FileProcessorV2's stack: the trigger Lambda and its event wiring, and the Glue job."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from applications_repo.file_processor.definition import TRIGGER_MEMORY_MB, application
from shared.application import IDEMPOTENCY_EXPIRY, IDEMPOTENCY_KEY, ObjectCreatedHandler
from shared.config import StageSettings
from shared.constructs.functions import dead_letter_queue, function_target, handler_function
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.logging import LogsKey, encrypted_log_group
from shared.naming import StageNaming

TRIGGER_MODULES = (
    "shared.quarantine",
    "shared.metrics",
    "applications_repo.file_processor.engine_choice",
)
EVENT_MAX_AGE = Duration.hours(6)


class FileProcessorStack(Stack):
    """GlueTriggerLambda-{stage}, fired by the input bucket's "Object Created" events through
    an EventBridge rule, with an encrypted dead-letter queue; and FileProcessorV2-{stage}."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: StageNaming,
        settings: StageSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = naming
        definition = application(naming, settings)
        [handler] = definition.handlers
        [job] = definition.jobs
        self.key = self._logs_key()
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
        self.trigger = self._trigger_function(settings, handler)
        self.rule = self._object_created_rule(handler)
        self.job = GlueSparkJob(
            self,
            "FileProcessor",
            naming=naming,
            settings=settings.glue,
            definition=job,
            log_retention_days=settings.logs.lambda_retention_days,
        )

    def _logs_key(self) -> LogsKey:
        return LogsKey(
            self,
            "LogsKey",
            naming=self.naming,
            alias=f"alias/{self.naming.trigger_function}-logs",
            description=f"Encrypts the logs of {self.naming.trigger_function}.",
            log_group_pattern=self.naming.trigger_log_group,
        )

    def _trigger_function(
        self, settings: StageSettings, handler: ObjectCreatedHandler
    ) -> lambda_.Function:
        n = self.naming
        log_group = encrypted_log_group(
            self,
            "TriggerLogGroup",
            name=n.trigger_log_group,
            days=settings.logs.lambda_retention_days,
            key=self.key,
        )
        return handler_function(
            self,
            "TriggerFunction",
            handler,
            description=f"Validates uploads to {n.input_bucket} and starts {n.file_processor_job}.",
            role=iam.Role.from_role_arn(
                self, "TriggerRole", n.role_arn(n.trigger_role), mutable=False
            ),
            log_group=log_group,
            dead_letters=self.dead_letter_queue,
            modules=TRIGGER_MODULES,
            memory_size=TRIGGER_MEMORY_MB,
            max_event_age=EVENT_MAX_AGE,
        )

    def _object_created_rule(self, handler: ObjectCreatedHandler) -> events.Rule:
        n = self.naming
        rule = events.Rule(
            self,
            "ObjectCreatedRule",
            rule_name=n.trigger_rule,
            description=f"Objects created in {handler.bucket}, outside its quarantine.",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [handler.bucket]},
                    "object": {"key": [{"anything-but": {"prefix": handler.excluded_prefix}}]},
                },
            ),
        )
        rule.add_target(
            function_target(self.trigger, self.dead_letter_queue, max_event_age=EVENT_MAX_AGE)
        )
        return rule
