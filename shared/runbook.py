"""The operations commands of docs/operations.md, filled in for one stage of the config.

``gdp runbook --stage prod`` prints them; a test checks that docs/operations.md holds them for
the dev stage of the shipped config, so the page and the names cannot drift apart.
"""

from __future__ import annotations

from shared.config import PlatformConfig, StageName
from shared.naming import AppName, PipelineNaming, StageNaming
from shared.registry import registered


def runbook(config: PlatformConfig, stage: StageName) -> list[tuple[str, str]]:
    """(what it does, command) for every command of the operations page: the platform's, then
    each registered application's own."""
    n = StageNaming.of(config, stage)
    _, error_logs = n.glue_log_groups
    pipeline = PipelineNaming(AppName.APPLICATIONS).pipeline
    deploy_stage = PipelineNaming(AppName.APPLICATIONS).stage_id(stage)
    platform = [
        ("read a run's errors", f"aws logs tail {error_logs} --log-stream-names <run id>"),
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
    own = [
        command
        for application in registered()
        for command in application.runbook(application.context(config, stage))
    ]
    return platform + own
