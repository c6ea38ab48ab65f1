"""medallion on the platform: its settings, names, stack, alarms, widgets, runbook and
commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from applications_repo.medallion.definition import definition
from applications_repo.medallion.names import MedallionNames
from applications_repo.medallion.settings import MedallionSettings
from shared import metrics
from shared.application import Definition
from shared.registry import (
    AppContext,
    Application,
    DeclaredName,
    RatioAlarm,
    ThresholdAlarm,
    Widget,
)

if TYPE_CHECKING:
    from aws_cdk import Stack

    from shared.chaos.workload import ChaosWorkload
    from shared.stage import DeploymentStage

GDP = ".venv/bin/gdp"
STATES = "AWS/States"
DAY_MINUTES = 1440
RECORDER_SERVICE = "medallion-recorder"
RUN_MISSING, DPU_HOURS, COST = "PipelineRunMissing", "PipelineDpuHours", "PipelineCostUsd"
FRESHNESS_ALARM_MINUTES = 60


class Medallion(Application):
    """A daily bronze/silver/gold pipeline of an HTTP API's records, run by a state
    machine."""

    name = "medallion"
    description = (
        "daily schedule -> state machine: API ingestion (bronze) -> Glue job (silver, gold) -> "
        "crawler -> notification; Athena over gold"
    )
    settings_model = MedallionSettings
    docs_page = "docs/medallion.md"
    resource_types = (
        "AWS::StepFunctions::StateMachine",
        "AWS::Scheduler::Schedule",
        "AWS::Glue::Crawler",
        "AWS::Athena::WorkGroup",
        "AWS::Athena::NamedQuery",
        "AWS::SecretsManager::Secret",
        "AWS::DynamoDB::GlobalTable",
        "AWS::SNS::Topic",
    )

    def definition(self, context: AppContext) -> Definition:
        return definition(context.naming, context.app)

    def names(self, context: AppContext) -> Sequence[DeclaredName]:
        return MedallionNames(context.naming).declared()

    def build(self, stage: DeploymentStage, context: AppContext) -> Sequence[Stack]:
        from applications_repo.medallion.infrastructure import (  # noqa: PLC0415 (CDK)
            MedallionStack,
        )

        stack = MedallionStack(
            stage,
            "Medallion",
            stack_name=context.naming.application_stack(self.name),
            description=f"medallion: a daily bronze/silver/gold pipeline ({context.stage}).",
            context=context,
        )
        return (stack,)

    def alarms(self, context: AppContext) -> Sequence[RatioAlarm | ThresholdAlarm]:
        names, own = MedallionNames(context.naming), context.app
        machine = {"StateMachineArn": names.state_machine_arn}
        minutes = context.settings.alarms.evaluation_minutes
        return (
            ThresholdAlarm(
                subject=names.state_machine,
                what="executions-failed",
                metric=("ExecutionsFailed", machine),
                statistic="Sum",
                minutes=minutes,
                threshold=0,
                description="An execution of the medallion pipeline failed: its failure "
                "notification names the run date, the state and the error.",
                namespace=STATES,
            ),
            ThresholdAlarm(
                subject=names.state_machine,
                what="executions-timed-out",
                metric=("ExecutionsTimedOut", machine),
                statistic="Sum",
                minutes=minutes,
                threshold=0,
                description=f"An execution ran past {own.execution_timeout_minutes} minutes.",
                namespace=STATES,
            ),
            ThresholdAlarm(
                subject=names.job,
                what="duration-limit",
                metric=(metrics.RUN_SECONDS, {metrics.JOB_DIMENSION: names.job}),
                statistic="Maximum",
                minutes=minutes,
                threshold=60 * own.job_timeout_minutes,
                description=f"A run of {names.job} took more than {own.job_timeout_minutes} "
                "minutes.",
            ),
            ThresholdAlarm(
                subject=names.state_machine,
                what="no-run-today",
                metric=(RUN_MISSING, {metrics.SERVICE_DIMENSION: RECORDER_SERVICE}),
                statistic="Maximum",
                minutes=FRESHNESS_ALARM_MINUTES,
                threshold=0,
                description=f"No execution of the medallion pipeline succeeded by "
                f"{own.success_by_hour}:00 UTC today.",
            ),
        )

    def widgets(self, context: AppContext) -> Sequence[Widget]:
        names = MedallionNames(context.naming)
        machine = {"StateMachineArn": names.state_machine_arn}
        job = {metrics.JOB_DIMENSION: names.job}
        recorder = {metrics.SERVICE_DIMENSION: RECORDER_SERVICE}
        executions = ("ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut")
        rows = (metrics.ROWS_READ, metrics.ROWS_WRITTEN, metrics.ROWS_REJECTED)
        return (
            Widget(
                "medallion: daily executions",
                tuple((name, machine) for name in executions),
                namespace=STATES,
                period_minutes=DAY_MINUTES,
            ),
            Widget(
                "medallion: data quality (records read, published, rejected)",
                tuple((name, job) for name in rows),
                period_minutes=DAY_MINUTES,
            ),
            Widget(
                "medallion: cost per day (USD, DPU-hours)",
                ((COST, recorder), (DPU_HOURS, recorder)),
                period_minutes=DAY_MINUTES,
            ),
        )

    def runbook(self, context: AppContext) -> Sequence[tuple[str, str]]:
        names, stage = MedallionNames(context.naming), context.stage
        return (
            ("re-run one day", f"{GDP} medallion run --stage {stage} --date <YYYY-MM-DD>"),
            (
                "back-fill a range of days",
                f"{GDP} medallion run --stage {stage} --from <YYYY-MM-DD> --to <YYYY-MM-DD>",
            ),
            ("the latest executions", f"{GDP} medallion executions --stage {stage}"),
            (
                "set the API's URL and key",
                f"aws secretsmanager put-secret-value --secret-id {names.api_secret} "
                '--secret-string \'{"url": "https://...", "api_key": "..."}\'',
            ),
            (
                "where a day's ingestion stands",
                f"aws dynamodb get-item --table-name {names.checkpoints_table} --key "
                '\'{"run_date": {"S": "<YYYY-MM-DD>"}}\'',
            ),
            (
                "read a day's rejected records",
                f"aws s3 cp s3://{names.silver_bucket}/rejected/<YYYY/MM/DD>/rejected.json -",
            ),
            ("crawl gold again", f"aws glue start-crawler --name {names.crawler}"),
            (
                "compact gold now",
                f"aws glue start-job-run --job-name {names.compaction_job}",
            ),
        )

    def chaos(self, context: AppContext) -> Sequence[ChaosWorkload]:
        from applications_repo.medallion.chaos import DailyExecutions  # noqa: PLC0415

        return (DailyExecutions(context, self.definition(context)),)

    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:
        from applications_repo.medallion.commands import register  # noqa: PLC0415

        register(subparsers)


MEDALLION = Medallion()
