"""The run monitor as part of a stage: fired by every finished Glue run of the stage."""

from __future__ import annotations

from pathlib import Path

from shared.application import FUNCTION_LOGGING, Application, JobStateHandler
from shared.config import StageSettings
from shared.naming import StageNaming

HERE = Path(__file__).parent
MONITOR_MODULE = HERE / "runtime" / "run_monitor.py"
MONITOR_HANDLER = "applications_repo.monitoring.runtime.run_monitor:handler"
MONITOR_LOGGER = "glue-run-monitor"


def monitor_environment(naming: StageNaming, settings: StageSettings) -> dict[str, str]:
    """GlueRunMonitor's environment."""
    return {
        "STAGE": naming.stage.value,
        "ALERTS_TOPIC_ARN": naming.topic_arn(naming.alerts_topic),
        "AVERAGE_RUNS": str(settings.alarms.duration_average_runs),
        **FUNCTION_LOGGING,
    }


def application(naming: StageNaming, settings: StageSettings) -> Application:
    """The stage's monitoring."""
    return Application(
        name="monitoring",
        job_state_handlers=(
            JobStateHandler(
                function_name=naming.run_monitor_function,
                module=MONITOR_MODULE,
                handler=MONITOR_HANDLER,
                job_name_suffix=f"-{naming.stage}",
                environment=monitor_environment(naming, settings),
                logger_name=MONITOR_LOGGER,
                dead_letter_queue=naming.run_monitor_dead_letter_queue,
                alerts_topic=naming.alerts_topic,
            ),
        ),
    )
