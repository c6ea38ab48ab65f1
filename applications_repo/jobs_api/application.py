"""jobs-api on the platform: its settings, names, stack, alarms, runbook and commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from applications_repo.jobs_api.definition import JOB_SERVICE, SWEEPER_SERVICE, definition
from applications_repo.jobs_api.names import JobsApiNames
from applications_repo.jobs_api.settings import JobsApiSettings
from applications_repo.parquet_to_json import metrics
from shared.application import Definition
from shared.metrics import SERVICE_DIMENSION
from shared.registry import (
    AppContext,
    Application,
    DeclaredName,
    InputState,
    RatioAlarm,
    ThresholdAlarm,
    Widget,
)

if TYPE_CHECKING:
    from pathlib import Path

    from aws_cdk import Stack

    from shared.assembly import SynthesizedStack
    from shared.chaos.workload import ChaosWorkload
    from shared.stage import DeploymentStage

GDP = ".venv/bin/gdp"
API_GATEWAY = "AWS/ApiGateway"
STUCK_ALARM_MINUTES = 15
LATENCY_ALARM_MS = 3000


class JobsApi(Application):
    """A REST API and a web UI to upload Parquet files, convert them to JSON Lines (with
    parquet-to-json's job), watch the jobs and download the JSON."""

    name = "jobs-api"
    description = (
        "REST API + web UI -> pre-signed upload -> parquet-to-json's conversion (single-node "
        "or Glue) -> pre-signed download; jobs in DynamoDB"
    )
    settings_model = JobsApiSettings
    docs_page = "docs/jobs-api.md"
    builds_on = ("parquet-to-json",)  # its conversion job, sweeper and metadata rules
    resource_types = (
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
        "AWS::ApiGateway::UsagePlan",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::ApiKey",
        "AWS::ApiGateway::UsagePlanKey",
    )

    def definition(self, context: AppContext) -> Definition:
        return definition(context.naming, context.app)

    def names(self, context: AppContext) -> Sequence[DeclaredName]:
        return JobsApiNames(context.naming).declared()

    def build(self, stage: DeploymentStage, context: AppContext) -> Sequence[Stack]:
        from applications_repo.jobs_api.infrastructure import JobsApiStack  # noqa: PLC0415 (CDK)

        stack = JobsApiStack(
            stage,
            "JobsApi",
            stack_name=context.naming.application_stack(self.name),
            description=f"jobs-api: REST API to convert Parquet files to JSON ({context.stage}).",
            context=context,
        )
        return (stack,)

    def alarms(self, context: AppContext) -> Sequence[RatioAlarm | ThresholdAlarm]:
        names = JobsApiNames(context.naming)
        minutes = context.settings.alarms.evaluation_minutes
        api = {"ApiName": names.rest_api, "Stage": context.stage.value}
        log_group = context.naming.lambda_log_group(names.api_function)
        return (
            ThresholdAlarm(
                subject=names.rest_api,
                what="server-errors",
                metric=("5XXError", api),
                statistic="Sum",
                minutes=minutes,
                threshold=0,
                description=(
                    f"{names.rest_api} answered 5xx in the last {minutes} minutes: the API "
                    f"function failed (its log group: {log_group})."
                ),
                namespace=API_GATEWAY,
            ),
            ThresholdAlarm(
                subject=names.rest_api,
                what="latency",
                metric=("Latency", api),
                statistic="p99",
                minutes=minutes,
                threshold=LATENCY_ALARM_MS,
                description=f"The p99 latency of {names.rest_api} is above {LATENCY_ALARM_MS} ms.",
                namespace=API_GATEWAY,
            ),
            ThresholdAlarm(
                subject=names.job,
                what="failed-jobs",
                metric=(metrics.FILES_FAILED, {SERVICE_DIMENSION: JOB_SERVICE}),
                statistic="Sum",
                minutes=minutes,
                threshold=0,
                description=(
                    f"A jobs-api conversion failed in the last {minutes} minutes (the job is "
                    f"FAILED in {names.jobs_table}; POST /jobs/<id>/retry runs it again)."
                ),
            ),
            ThresholdAlarm(
                subject=names.sweeper,
                what="stuck-jobs",
                metric=(metrics.STUCK_RUNS, {SERVICE_DIMENSION: SWEEPER_SERVICE}),
                statistic="Maximum",
                minutes=STUCK_ALARM_MINUTES,
                threshold=0,
                description="The sweeper failed jobs-api conversions that stopped progressing.",
            ),
        )

    def widgets(self, context: AppContext) -> Sequence[Widget]:
        names = JobsApiNames(context.naming)
        api = {"ApiName": names.rest_api, "Stage": context.stage.value}
        job = {SERVICE_DIMENSION: JOB_SERVICE}
        return (
            Widget(
                "jobs-api requests",
                tuple((m, api) for m in ("Count", "4XXError", "5XXError")),
                namespace=API_GATEWAY,
            ),
            Widget(
                "jobs-api conversions",
                tuple(
                    (m, job)
                    for m in (metrics.FILES_SUCCEEDED, metrics.FILES_FAILED, metrics.FILES_REJECTED)
                ),
            ),
        )

    def runbook(self, context: AppContext) -> Sequence[tuple[str, str]]:
        names = JobsApiNames(context.naming)
        return (
            ("serve the API and the web UI locally", f"{GDP} run --app jobs-api --keep"),
            ("print the API's OpenAPI document", f"{GDP} jobs-api openapi"),
            (
                "list failed jobs",
                f"aws dynamodb query --table-name {names.jobs_table} --index-name by-status "
                "--key-condition-expression 'processing_status = :s' "
                '--expression-attribute-values \'{":s": {"S": "FAILED"}}\'',
            ),
            (
                "what happened to one job",
                f"aws dynamodb get-item --table-name {names.jobs_table} --key "
                '\'{"file_id": {"S": "<job id>"}}\'',
            ),
            (
                "read the API's access log",
                f"aws logs tail {names.access_log_group} --since 1h",
            ),
            (
                "the API key (auth: api_key)",
                f"aws apigateway get-api-keys --name-query {names.api_key} --include-values",
            ),
            (
                "re-drive dead-lettered upload events",
                f"{GDP} redrive --stage {context.stage} {names.uploads_dead_letters}",
            ),
        )

    def input_state(
        self, context: AppContext, session: Any, bucket: str, key: str, version_id: str | None
    ) -> InputState | None:
        from applications_repo.jobs_api.jobs import (  # noqa: PLC0415 (boto3 loads here)
            JobsTable,
            JobStatus,
            job_of_key,
        )
        from applications_repo.parquet_to_json.metadata import plain  # noqa: PLC0415

        names = JobsApiNames(context.naming)
        job_id = job_of_key(key)
        if bucket != names.input_bucket or job_id is None:
            return None
        item = JobsTable(session.resource("dynamodb").Table(names.jobs_table)).get(job_id)
        if item is None:
            return InputState("NOT RECORDED", note="no job has this upload", failed=True)
        record = plain(item)
        status = JobStatus(record["processing_status"])
        history = " -> ".join(entry["status"] for entry in record.get("history", []))
        return InputState(
            state=status.value,
            run_id=str(record.get("job_run_id", "")),
            rows_written=record.get("record_count"),
            rows_rejected=record.get("rejected_count"),
            note="; ".join(filter(None, (history, record.get("error_message")))),
            record=record,
            failed=status is JobStatus.FAILED,
            in_flight=status in (JobStatus.PENDING, JobStatus.RUNNING),
        )

    def diagrams(
        self, context: AppContext, stacks: Sequence[SynthesizedStack], directory: Path
    ) -> list[Path]:
        from applications_repo.jobs_api.diagrams import draw  # noqa: PLC0415 (Graphviz)

        return draw(context, stacks, directory)

    def chaos(self, context: AppContext) -> Sequence[ChaosWorkload]:
        from applications_repo.jobs_api.chaos import ApiJobs  # noqa: PLC0415

        return (ApiJobs(context, self.definition(context)),)

    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:
        from applications_repo.jobs_api.commands import register  # noqa: PLC0415

        register(subparsers)


JOBS_API = JobsApi()
