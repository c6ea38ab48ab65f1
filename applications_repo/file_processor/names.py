"""FileProcessorV2's resource names (spec 002), from the platform's naming rule."""

from __future__ import annotations

from dataclasses import dataclass

from shared.naming import NameKind, StageNaming
from shared.registry import DeclaredName


@dataclass(frozen=True)
class FileProcessorNames:
    """The names of FileProcessorV2 and its trigger in one stage."""

    naming: StageNaming

    @property
    def job(self) -> str:
        return self.naming.named("FileProcessorV2")

    @property
    def trigger_function(self) -> str:
        return self.naming.named("GlueTriggerLambda")

    @property
    def trigger_log_group(self) -> str:
        return self.naming.lambda_log_group(self.trigger_function)

    @property
    def trigger_role(self) -> str:
        return self.naming.named("GlueTriggerLambdaRole")

    @property
    def trigger_rule(self) -> str:
        return self.naming.named("glue-object-created")

    @property
    def dead_letter_queue(self) -> str:
        return self.naming.named("GlueTriggerLambda-dlq")

    @property
    def idempotency_table(self) -> str:
        return self.naming.named("GlueTriggerLambda-idempotency")

    @property
    def single_node_function(self) -> str:
        """Runs FileProcessorV2 on files up to ``glue.single_node_max_bytes`` (Arrow)."""
        return self.naming.named("GlueFileProcessorSingleNode")

    @property
    def single_node_log_group(self) -> str:
        return self.naming.lambda_log_group(self.single_node_function)

    @property
    def single_node_role(self) -> str:
        return self.naming.named("GlueFileProcessorSingleNodeRole")

    @property
    def single_node_dead_letter_queue(self) -> str:
        return self.naming.named("GlueFileProcessorSingleNode-dlq")

    def declared(self) -> tuple[DeclaredName, ...]:
        """Every name above, with its kind."""
        return (
            DeclaredName(NameKind.GLUE_JOB, self.job),
            DeclaredName(NameKind.LAMBDA_FUNCTION, self.trigger_function),
            DeclaredName(NameKind.LOG_GROUP, self.trigger_log_group),
            DeclaredName(NameKind.IAM_ROLE, self.trigger_role),
            DeclaredName(NameKind.EVENT_RULE, self.trigger_rule),
            DeclaredName(NameKind.SQS_QUEUE, self.dead_letter_queue),
            DeclaredName(NameKind.DYNAMODB_TABLE, self.idempotency_table),
            DeclaredName(NameKind.LAMBDA_FUNCTION, self.single_node_function),
            DeclaredName(NameKind.LOG_GROUP, self.single_node_log_group),
            DeclaredName(NameKind.IAM_ROLE, self.single_node_role),
            DeclaredName(NameKind.SQS_QUEUE, self.single_node_dead_letter_queue),
        )
