"""What ProcessLegislators runs in one stage: its job and its sample data."""

from __future__ import annotations

from pathlib import Path

from applications_repo.legislators.names import LegislatorsNames
from applications_repo.legislators.settings import LegislatorsSettings
from shared.application import Definition, GlueJobDefinition, SampleRun
from shared.naming import StageNaming

HERE = Path(__file__).parent
JOB_SCRIPT = HERE / "job" / "entrypoint.py"
JOB_PACKAGES = (
    "shared.errors",
    "shared.glue",
    "shared.outcomes",
    "applications_repo.legislators.job",
)
SAMPLES = HERE / "samples"
INPUT_ARGUMENT = "input_uri"


def definition(naming: StageNaming, own: LegislatorsSettings) -> Definition:
    """ProcessLegislators of one stage."""
    job = LegislatorsNames(naming).job
    return Definition(
        name="legislators",
        jobs=(
            GlueJobDefinition(
                name=job,
                description="Joins persons, memberships and organizations into their history.",
                script=JOB_SCRIPT,
                packages=JOB_PACKAGES,
                arguments={
                    INPUT_ARGUMENT: own.input_uri,
                    "output_bucket": naming.output_bucket,
                    "database": naming.database,
                },
            ),
        ),
        sample_runs=(SampleRun(job, SAMPLES, own.input_uri),),
    )
