"""ProcessLegislators' stack: the Glue job and its code in the assets bucket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from shared.config import StageSettings
from shared.constructs.glue_job import GlueSparkJob
from shared.naming import StageNaming

JOB_SCRIPT = Path(__file__).parent / "job" / "entrypoint.py"
JOB_PACKAGES = ("shared.errors", "shared.glue", "applications_repo.legislators.job")


class LegislatorsStack(Stack):
    """ProcessLegislators-{stage}: the legislators' membership history as a Parquet table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: StageNaming,
        settings: StageSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.job = GlueSparkJob(
            self,
            "ProcessLegislators",
            naming=naming,
            settings=settings.glue,
            job_name=naming.legislators_job,
            description="Joins persons, memberships and organizations into their history.",
            script=JOB_SCRIPT,
            packages=JOB_PACKAGES,
            arguments={
                "input_uri": settings.legislators.input_uri,
                "output_bucket": naming.output_bucket,
                "database": naming.database,
            },
        )
