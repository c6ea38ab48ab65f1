"""FileProcessorV2 on the platform: its settings, names, stacks, alarms, runbook and commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from applications_repo.file_processor import metrics
from applications_repo.file_processor.definition import definition
from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.file_processor.settings import FileProcessorSettings
from shared.application import Definition
from shared.metrics import SERVICE_DIMENSION
from shared.naming import QUARANTINE_PREFIX
from shared.registry import AppContext, Application, DeclaredName, RatioAlarm, Widget

if TYPE_CHECKING:
    from aws_cdk import Stack

    from shared.chaos.workload import ChaosWorkload
    from shared.stage import DeploymentStage

GDP = ".venv/bin/gdp"


class FileProcessor(Application):
    """CSV files uploaded to the input bucket become Parquet tables of the catalog."""

    name = "file-processor"
    description = "CSV uploads to the input bucket -> trigger Lambda -> FileProcessorV2 -> Parquet"
    settings_model = FileProcessorSettings
    docs_page = "docs/file-handling.md"
    resource_types = ("AWS::DynamoDB::GlobalTable",)  # the trigger's idempotency table

    def definition(self, context: AppContext) -> Definition:
        return definition(context.naming, context.settings, context.app)

    def names(self, context: AppContext) -> Sequence[DeclaredName]:
        return FileProcessorNames(context.naming).declared()

    def build(self, stage: DeploymentStage, context: AppContext) -> Sequence[Stack]:
        from applications_repo.file_processor.infrastructure import (  # noqa: PLC0415 (CDK)
            FileProcessorStack,
        )

        stack = FileProcessorStack(
            stage,
            "FileProcessor",
            stack_name=context.naming.application_stack(self.name),
            description=f"FileProcessorV2 and its trigger ({context.stage} stage).",
            context=context,
        )
        return (stack,)

    def alarms(self, context: AppContext) -> Sequence[RatioAlarm]:
        names = FileProcessorNames(context.naming)
        service = {SERVICE_DIMENSION: metrics.TRIGGER_SERVICE}
        threshold = context.app.rejected_files_percent
        minutes = context.settings.alarms.evaluation_minutes
        return (
            RatioAlarm(
                subject=names.trigger_function,
                what="rejected-files",
                numerator=(metrics.FILES_REJECTED, service),
                denominator=(metrics.FILES_RECEIVED, service),
                threshold=threshold,
                description=(
                    f"More than {threshold}% of the files uploaded in {minutes} minutes were "
                    "rejected."
                ),
            ),
        )

    def widgets(self, context: AppContext) -> Sequence[Widget]:
        service = {SERVICE_DIMENSION: metrics.TRIGGER_SERVICE}
        counts = (metrics.FILES_RECEIVED, metrics.FILES_ACCEPTED, metrics.FILES_REJECTED)
        return (Widget("Files in", tuple((name, service) for name in counts)),)

    def runbook(self, context: AppContext) -> Sequence[tuple[str, str]]:
        n, names, stage = context.naming, FileProcessorNames(context.naming), context.stage
        return (
            ("read a run", f"aws glue get-job-run --job-name {names.job} --run-id <run id>"),
            ("re-process a file", f"{GDP} reprocess --stage {stage} --key <key>"),
            ("re-process a prefix", f"{GDP} reprocess --stage {stage} --prefix <prefix>"),
            ("re-drive the dead-letter queue", f"{GDP} reprocess --stage {stage} --dead-letters"),
            (
                "read the trigger's errors",
                f'aws logs tail {names.trigger_log_group} --filter-pattern \'"level":"ERROR"\'',
            ),
            (
                "read the single-node runs' errors",
                f'aws logs tail {names.single_node_log_group} --filter-pattern \'"level":"ERROR"\'',
            ),
            (
                "look at dead-lettered events",
                "aws sqs receive-message --queue-url $(aws sqs get-queue-url --queue-name "
                f"{names.dead_letter_queue} --query QueueUrl --output text) "
                "--visibility-timeout 0 --max-number-of-messages 10",
            ),
            (
                "list quarantined files",
                f"aws s3 ls s3://{n.input_bucket}/{QUARANTINE_PREFIX} --recursive",
            ),
            (
                "read rejected rows",
                f"aws s3 cp s3://{n.output_bucket}/rejects/<dataset>/ingest_date=<day>/ - "
                "--recursive",
            ),
            (
                "list recent runs",
                f"aws glue get-job-runs --job-name {names.job} --max-items 10",
            ),
        )

    def chaos(self, context: AppContext) -> Sequence[ChaosWorkload]:
        from applications_repo.file_processor.chaos import CsvFiles  # noqa: PLC0415

        return (CsvFiles(context, self.definition(context)),)

    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:
        from applications_repo.file_processor.commands import register  # noqa: PLC0415

        register(subparsers)


FILE_PROCESSOR = FileProcessor()
