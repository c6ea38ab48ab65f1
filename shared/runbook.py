"""The operations commands of docs/operations.md, filled in for one stage of the config.

``gdp runbook --stage prod`` prints them; a test checks that docs/operations.md holds them for
the dev stage of the shipped config, so the page and the names cannot drift apart.
"""

from __future__ import annotations

from shared.config import PlatformConfig, StageName
from shared.naming import QUARANTINE_PREFIX, AppName, PipelineNaming, StageNaming

GDP = ".venv/bin/gdp"


def runbook(config: PlatformConfig, stage: StageName) -> list[tuple[str, str]]:
    """(what it does, command) for every command of the operations page."""
    n = StageNaming.of(config, stage)
    _, error_logs = n.glue_log_groups
    pipeline = PipelineNaming(AppName.APPLICATIONS).pipeline
    deploy_stage = PipelineNaming(AppName.APPLICATIONS).stage_id(stage)
    return [
        ("read a run", f"aws glue get-job-run --job-name {n.file_processor_job} --run-id <run id>"),
        ("read a run's errors", f"aws logs tail {error_logs} --log-stream-names <run id>"),
        ("re-process a file", f"{GDP} reprocess --stage {stage} --key <key>"),
        ("re-process a prefix", f"{GDP} reprocess --stage {stage} --prefix <prefix>"),
        ("re-drive the dead-letter queue", f"{GDP} reprocess --stage {stage} --dead-letters"),
        (
            "read the trigger's errors",
            f'aws logs tail {n.trigger_log_group} --filter-pattern \'"level":"ERROR"\'',
        ),
        (
            "look at dead-lettered events",
            "aws sqs receive-message --queue-url $(aws sqs get-queue-url --queue-name "
            f"{n.trigger_dead_letter_queue} --query QueueUrl --output text) "
            "--visibility-timeout 0 --max-number-of-messages 10",
        ),
        (
            "list quarantined files",
            f"aws s3 ls s3://{n.input_bucket}/{QUARANTINE_PREFIX} --recursive",
        ),
        (
            "read rejected rows",
            f"aws s3 cp s3://{n.output_bucket}/rejects/<dataset>/ingest_date=<day>/ - --recursive",
        ),
        (
            "list recent runs",
            f"aws glue get-job-runs --job-name {n.file_processor_job} --max-items 10",
        ),
        (
            "roll a stage back",
            f"aws codepipeline rollback-stage --pipeline-name {pipeline} --stage-name "
            f"{deploy_stage} --target-pipeline-execution-id <id>",
        ),
        (
            "list pipeline executions",
            f"aws codepipeline list-pipeline-executions --pipeline-name {pipeline}",
        ),
    ]
