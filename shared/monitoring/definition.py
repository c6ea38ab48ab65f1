"""The run monitor of a stage, fired by every finished Glue run of the stage; and everything a
stage runs: the registered applications' definitions and the run monitor."""

from __future__ import annotations

from pathlib import Path

from shared.application import FUNCTION_LOGGING, Definition, JobStateHandler
from shared.config import PlatformConfig, StageName, StageSettings
from shared.naming import StageNaming
from shared.registry import definitions

HERE = Path(__file__).parent
MONITOR_MODULE = HERE / "job_states.py"
MONITOR_HANDLER = "shared.monitoring.job_states:handler"


def monitor_environment(naming: StageNaming, settings: StageSettings) -> dict[str, str]:
    """GlueRunMonitor's environment."""
    return {
        "STAGE": naming.stage.value,
        "ALERTS_TOPIC_ARN": naming.topic_arn(naming.alerts_topic),
        "AVERAGE_RUNS": str(settings.alarms.duration_average_runs),
        **FUNCTION_LOGGING,
    }


def monitoring(naming: StageNaming, settings: StageSettings) -> Definition:
    """The stage's run monitor."""
    return Definition(
        name="monitoring",
        job_state_handlers=(
            JobStateHandler(
                function_name=naming.monitor_function,
                module=MONITOR_MODULE,
                handler=MONITOR_HANDLER,
                job_name_suffix=f"-{naming.stage}",
                environment=monitor_environment(naming, settings),
                dead_letter_queue=naming.monitor_dead_letter_queue,
                alerts_topic=naming.alerts_topic,
            ),
        ),
    )


def stage_definitions(config: PlatformConfig, stage: StageName | str) -> list[Definition]:
    """What a stage runs: every registered application, then the run monitor."""
    naming = StageNaming.of(config, stage)
    return [*definitions(config, stage), monitoring(naming, config.stages.get(naming.stage))]
