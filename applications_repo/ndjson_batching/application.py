"""ndjson-batching on the platform: its settings, names, stack, alarms, runbook and commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from applications_repo.ndjson_batching import metrics
from applications_repo.ndjson_batching.definition import definition
from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.settings import NdjsonBatchingSettings
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
HEALTH_ALARM_MINUTES = 15


class NdjsonBatching(Application):
    """Small NDJSON files uploaded to its input bucket become few large Parquet files."""

    name = "ndjson-batching"
    description = (
        "NDJSON uploads -> SQS -> manifest builder (DynamoDB tracking) -> manifest -> "
        "Glue batch job -> Parquet of ~128 MB"
    )
    settings_model = NdjsonBatchingSettings
    docs_page = "docs/ndjson-batching.md"
    resource_types = ("AWS::Lambda::EventSourceMapping",)  # the builder reads its queue

    def definition(self, context: AppContext) -> Definition:
        return definition(context.naming, context.app)

    def names(self, context: AppContext) -> Sequence[DeclaredName]:
        return NdjsonNames(context.naming).declared()

    def build(self, stage: DeploymentStage, context: AppContext) -> Sequence[Stack]:
        from applications_repo.ndjson_batching.infrastructure import (  # noqa: PLC0415 (CDK)
            NdjsonBatchingStack,
        )

        stack = NdjsonBatchingStack(
            stage,
            "NdjsonBatching",
            stack_name=context.naming.application_stack(self.name),
            description=f"ndjson-batching: NDJSON files batched into Parquet ({context.stage}).",
            context=context,
        )
        return (stack,)

    def alarms(self, context: AppContext) -> Sequence[RatioAlarm | ThresholdAlarm]:
        names, own = NdjsonNames(context.naming), context.app
        service = {SERVICE_DIMENSION: metrics.BUILDER_SERVICE}
        state = {SERVICE_DIMENSION: metrics.STATE_SERVICE}
        threshold = own.quarantine_rate_percent
        minutes = context.settings.alarms.evaluation_minutes
        late = 2 * own.batch_max_age_seconds + 60 * own.sweep_minutes
        stuck: tuple[ThresholdAlarm, ...] = ()
        if own.health_check:
            stuck = (
                ThresholdAlarm(
                    subject=names.state_manager,
                    what="stuck-files",
                    metric=(metrics.STUCK_FILES, state),
                    statistic="Maximum",
                    minutes=HEALTH_ALARM_MINUTES,
                    threshold=0,
                    description=(
                        f"NDJSON files have been in one status for more than "
                        f"{own.stuck_after_minutes} minutes."
                    ),
                ),
            )
        return (
            ThresholdAlarm(
                subject=names.state_manager,
                what="batch-age",
                metric=(metrics.OLDEST_PENDING_SECONDS, state),
                statistic="Maximum",
                minutes=HEALTH_ALARM_MINUTES,
                threshold=late,
                description=(
                    f"The oldest pending NDJSON file has waited more than {late} s: its batch "
                    "should have shipped (the sweeper is not running, or cannot write)."
                ),
            ),
            *stuck,
            RatioAlarm(
                subject=names.builder,
                what="quarantined-files",
                numerator=(metrics.FILES_QUARANTINED, service),
                denominator=(metrics.FILES_RECEIVED, service),
                threshold=threshold,
                description=(
                    f"More than {threshold}% of the NDJSON files received in {minutes} minutes "
                    "were quarantined."
                ),
            ),
        )

    def widgets(self, context: AppContext) -> Sequence[Widget]:
        builder = {SERVICE_DIMENSION: metrics.BUILDER_SERVICE}
        state = {SERVICE_DIMENSION: metrics.STATE_SERVICE}
        files_in = (
            metrics.FILES_RECEIVED,
            metrics.FILES_TRACKED,
            metrics.FILES_QUARANTINED,
            metrics.DUPLICATE_EVENTS,
        )
        return (
            Widget("NDJSON files in", tuple((name, builder) for name in files_in)),
            Widget(
                "NDJSON batches",
                (
                    (metrics.MANIFESTS_WRITTEN, builder),
                    (metrics.FILES_MANIFESTED, builder),
                    (metrics.MANIFESTS_WRITTEN, state),
                    (metrics.LEASES_RELEASED, state),
                    (metrics.STUCK_FILES, state),
                    (metrics.ACTIONS, state),
                ),
            ),
        )

    def runbook(self, context: AppContext) -> Sequence[tuple[str, str]]:
        names, stage = NdjsonNames(context.naming), context.stage
        return (
            ("count files by status", f"{GDP} ndjson status --stage {stage}"),
            ("list failed files", f"{GDP} ndjson status --stage {stage} --status failed"),
            ("re-run failed and stuck batches", f"{GDP} ndjson retry --stage {stage}"),
            ("take back expired leases", f"{GDP} ndjson release --stage {stage}"),
            (
                "check a quarantined file again",
                f"{GDP} ndjson requeue --stage {stage} --key <key>",
            ),
            (
                "list quarantined files",
                f"aws s3 ls s3://{names.input_bucket}/{QUARANTINE_PREFIX} --recursive",
            ),
            (
                "read a batch's rejected lines",
                f"aws s3 cp s3://{names.output_bucket}/rejects/merged-parquet-<date>/"
                "<manifest>.jsonl -",
            ),
            (
                "look at dead-lettered file events",
                "aws sqs receive-message --queue-url $(aws sqs get-queue-url --queue-name "
                f"{names.queue_dead_letters} --query QueueUrl --output text) "
                "--visibility-timeout 0 --max-number-of-messages 10",
            ),
            (
                "re-drive dead-lettered file events",
                "aws sqs start-message-move-task --source-arn "
                f"{context.naming.queue_arn(names.queue_dead_letters)}",
            ),
        )

    def input_state(
        self, context: AppContext, session: Any, bucket: str, key: str, version_id: str | None
    ) -> InputState | None:
        # boto3 loads only here: every gdp command imports the registry
        from applications_repo.ndjson_batching.tracking import (  # noqa: PLC0415
            IN_FLIGHT,
            FileStatus,
            TrackingTable,
            date_prefix,
            file_name,
        )

        names = NdjsonNames(context.naming)
        if bucket != names.input_bucket:
            return None
        version = {"VersionId": version_id} if version_id else {}
        head = session.client("s3").head_object(Bucket=bucket, Key=key, **version)
        tracking = TrackingTable(session.resource("dynamodb").Table(names.tracking_table))
        item = tracking.get(
            {
                "date_prefix": date_prefix(head["LastModified"]),
                "file_name": file_name(key, head.get("VersionId") or version_id),
            }
        )
        if item is None:
            return InputState(
                "NOT TRACKED", note="no tracking item: the builder never saw it", failed=True
            )
        status = FileStatus(item["status"])
        trail = " -> ".join(entry["status"] for entry in item.get("history", []))
        note = f"{trail}; manifest {item['manifest_id']}" if "manifest_id" in item else trail
        if item.get("reason"):
            note += f"; {item['reason']}"
        if item.get("rejects"):
            note += f"; rejected lines in {item['rejects']}"
        records, rejected = item.get("records"), item.get("rejected_lines")
        return InputState(
            state=status.value.upper(),
            run_id=item.get("run_id", ""),
            rows_read=None if records is None else records + (rejected or 0),
            rows_written=records,
            rows_rejected=rejected,
            output=item.get("output", "").removeprefix(f"s3://{names.output_bucket}/"),
            note=note,
            batch=item.get("manifest_key", ""),
            failed=status is FileStatus.FAILED,
            in_flight=status in IN_FLIGHT,
        )

    def chaos(self, context: AppContext) -> Sequence[ChaosWorkload]:
        from applications_repo.ndjson_batching.chaos import NdjsonFiles  # noqa: PLC0415

        return (NdjsonFiles(context, self.definition(context)),)

    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:
        from applications_repo.ndjson_batching.commands import register  # noqa: PLC0415

        register(subparsers)


NDJSON_BATCHING = NdjsonBatching()
