"""ProcessLegislators as an application: its job and its sample data, for one stage."""

from __future__ import annotations

from pathlib import Path

from shared.application import Application, GlueJobDefinition, SampleRun
from shared.config import StageSettings
from shared.naming import StageNaming

HERE = Path(__file__).parent
JOB_SCRIPT = HERE / "job" / "entrypoint.py"
JOB_PACKAGES = ("shared.errors", "shared.glue", "applications_repo.legislators.job")
JOB_RUNNER = "applications_repo.legislators.job.entrypoint:run"
SAMPLES = HERE / "samples"
INPUT_ARGUMENT = "input_uri"


def application(naming: StageNaming, settings: StageSettings) -> Application:
    """ProcessLegislators of one stage."""
    return Application(
        name="legislators",
        jobs=(
            GlueJobDefinition(
                name=naming.legislators_job,
                description="Joins persons, memberships and organizations into their history.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments={
                    INPUT_ARGUMENT: settings.legislators.input_uri,
                    "output_bucket": naming.output_bucket,
                    "database": naming.database,
                },
                runner=JOB_RUNNER,
            ),
        ),
        sample_runs=(SampleRun(naming.legislators_job, SAMPLES, settings.legislators.input_uri),),
    )
