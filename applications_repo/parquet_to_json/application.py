"""parquet-to-json on the platform: its settings, names, stack, alarms, runbook and commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from applications_repo.parquet_to_json import metrics
from applications_repo.parquet_to_json.definition import definition
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.settings import ParquetToJsonSettings
from shared.application import Definition
from shared.metrics import SERVICE_DIMENSION
from shared.naming import QUARANTINE_PREFIX
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
    from aws_cdk import Stack

    from shared.chaos.workload import ChaosWorkload
    from shared.stage import DeploymentStage

GDP = ".venv/bin/gdp"
STUCK_ALARM_MINUTES = 15
THROTTLE_ALARM_MINUTES = 5
DYNAMODB = "AWS/DynamoDB"


class ParquetToJson(Application):
    """Parquet files uploaded to its source bucket become JSON Lines, each upload recorded in
    its metadata table."""

    name = "parquet-to-json"
    description = (
        "Parquet uploads -> orchestrator (validation, metadata item) -> Glue Spark job or "
        "single-node function -> JSON Lines, rows checked"
    )
    settings_model = ParquetToJsonSettings
    docs_page = "docs/parquet-to-json.md"

    def definition(self, context: AppContext) -> Definition:
        return definition(context.naming, context.app)

    def names(self, context: AppContext) -> Sequence[DeclaredName]:
        return ParquetToJsonNames(context.naming).declared()

    def build(self, stage: DeploymentStage, context: AppContext) -> Sequence[Stack]:
        from applications_repo.parquet_to_json.infrastructure import (  # noqa: PLC0415 (CDK)
            ParquetToJsonStack,
        )

        stack = ParquetToJsonStack(
            stage,
            "ParquetToJson",
            stack_name=context.naming.application_stack(self.name),
            description=f"parquet-to-json: Parquet files to JSON Lines ({context.stage}).",
            context=context,
        )
        return (stack,)

    def alarms(self, context: AppContext) -> Sequence[RatioAlarm | ThresholdAlarm]:
        names, own = ParquetToJsonNames(context.naming), context.app
        job = {SERVICE_DIMENSION: metrics.JOB_SERVICE}
        sweeper = {SERVICE_DIMENSION: metrics.SWEEPER_SERVICE}
        minutes = context.settings.alarms.evaluation_minutes
        table = {"TableName": names.metadata_table}
        throttles = tuple(
            ThresholdAlarm(
                subject=names.metadata_table,
                what=f"{kind.lower()}-throttles",
                metric=(f"{kind}ThrottleEvents", table),
                statistic="Sum",
                minutes=THROTTLE_ALARM_MINUTES,
                threshold=0,
                description=(
                    f"DynamoDB throttled {kind.lower()}s of {names.metadata_table}: the "
                    "functions and the job retry them, but runs slow down."
                ),
                namespace=DYNAMODB,
            )
            for kind in ("Read", "Write")
        )
        return (
            ThresholdAlarm(
                subject=names.job,
                what="failed-files",
                metric=(metrics.FILES_FAILED, job),
                statistic="Sum",
                minutes=minutes,
                threshold=0,
                description=(
                    f"A conversion of parquet-to-json failed in the last {minutes} minutes "
                    f"(after its retries it is FAILED in {names.metadata_table})."
                ),
            ),
            ThresholdAlarm(
                subject=names.job,
                what="conversion-duration",
                metric=(metrics.CONVERSION_SECONDS, job),
                statistic="Maximum",
                minutes=minutes,
                threshold=60 * own.duration_alarm_minutes,
                description=(
                    f"A parquet-to-json conversion took more than {own.duration_alarm_minutes} "
                    "minutes."
                ),
            ),
            ThresholdAlarm(
                subject=names.sweeper,
                what="stuck-runs",
                metric=(metrics.STUCK_RUNS, sweeper),
                statistic="Maximum",
                minutes=STUCK_ALARM_MINUTES,
                threshold=0,
                description=(
                    f"The sweeper failed runs with no progress for {own.stuck_after_minutes} "
                    "minutes (their job or function died)."
                ),
            ),
            *throttles,
        )

    def widgets(self, context: AppContext) -> Sequence[Widget]:
        orchestrator = {SERVICE_DIMENSION: metrics.ORCHESTRATOR_SERVICE}
        job = {SERVICE_DIMENSION: metrics.JOB_SERVICE}
        sweeper = {SERVICE_DIMENSION: metrics.SWEEPER_SERVICE}
        uploads = (
            metrics.FILES_RECEIVED,
            metrics.FILES_REJECTED_AT_UPLOAD,
            metrics.RUNS_STARTED,
            metrics.RUNS_WAITING,
            metrics.DUPLICATE_EVENTS,
        )
        outcomes = (metrics.FILES_SUCCEEDED, metrics.FILES_FAILED, metrics.FILES_REJECTED)
        return (
            Widget("Parquet uploads", tuple((name, orchestrator) for name in uploads)),
            Widget(
                "Parquet conversions",
                (
                    *((name, job) for name in outcomes),
                    (metrics.STUCK_RUNS, sweeper),
                    (metrics.WAITING_STARTED, sweeper),
                ),
            ),
            Widget("Parquet conversion seconds", ((metrics.CONVERSION_SECONDS, job),)),
        )

    def runbook(self, context: AppContext) -> Sequence[tuple[str, str]]:
        names, stage = ParquetToJsonNames(context.naming), context.stage
        return (
            ("count files by status", f"{GDP} p2j status --stage {stage}"),
            ("list failed files", f"{GDP} p2j status --stage {stage} --status FAILED"),
            ("re-run a failed or rejected file", f"{GDP} p2j retry --stage {stage} <file_id>"),
            (
                "what happened to one upload",
                f"aws dynamodb get-item --table-name {names.metadata_table} --key "
                '\'{"file_id": {"S": "<key>@<version>"}}\'',
            ),
            (
                "list quarantined uploads",
                f"aws s3 ls s3://{names.source_bucket}/{QUARANTINE_PREFIX} --recursive",
            ),
            (
                "read a file's rejected rows",
                f"aws s3 cp s3://{names.output_bucket}/rejected-data/<YYYY/MM/DD>/<name>.json -",
            ),
            (
                "re-drive dead-lettered upload events",
                f"{GDP} redrive --stage {stage} {names.orchestrator_dead_letters}",
            ),
        )

    def input_state(
        self, context: AppContext, session: Any, bucket: str, key: str, version_id: str | None
    ) -> InputState | None:
        # boto3 loads only here: every gdp command imports the registry
        from applications_repo.parquet_to_json.metadata import (  # noqa: PLC0415
            IN_FLIGHT,
            MetadataTable,
            Status,
            file_id,
            plain,
        )

        names = ParquetToJsonNames(context.naming)
        if bucket != names.source_bucket:
            return None
        table = MetadataTable(session.resource("dynamodb").Table(names.metadata_table))
        item = table.get(file_id(key, version_id))
        if item is None:
            return InputState(
                "NOT RECORDED", note="no metadata item: the orchestrator never saw it", failed=True
            )
        record = plain(item)
        status = Status(record["processing_status"])
        notes = [" -> ".join(entry["status"] for entry in record.get("history", []))]
        notes += [
            f"{label}{record[field]}"
            for field, label in (
                ("error_message", ""),
                ("waiting_reason", "waiting: "),
                ("rejects_written", "rejected rows in "),
                ("quarantine", "reason kept in "),
                ("superseded_by", "not written: superseded by "),
            )
            if record.get(field)
        ]
        return InputState(
            state=status.value,
            run_id=str(record.get("job_run_id", "")),
            rows_read=record.get("rows_read"),
            rows_written=record.get("record_count"),
            rows_rejected=record.get("rejected_count"),
            output=str(record.get("output_file_path", "")).removeprefix(
                f"s3://{names.output_bucket}/"
            )
            if status is Status.SUCCEEDED
            else "",
            note="; ".join(notes),
            record=record,
            failed=status is Status.FAILED,
            in_flight=status in IN_FLIGHT,
        )

    def chaos(self, context: AppContext) -> Sequence[ChaosWorkload]:
        from applications_repo.parquet_to_json.chaos import ParquetFiles  # noqa: PLC0415

        return (ParquetFiles(context, self.definition(context)),)

    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:
        from applications_repo.parquet_to_json.commands import register  # noqa: PLC0415

        register(subparsers)


PARQUET_TO_JSON = ParquetToJson()
