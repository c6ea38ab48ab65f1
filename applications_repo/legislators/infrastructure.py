"""ProcessLegislators' stack: the Glue job and its code in the assets bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from applications_repo.legislators.definition import application
from shared.config import StageSettings
from shared.constructs.glue_job import GlueSparkJob
from shared.naming import StageNaming


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
        [job] = application(naming, settings).jobs
        self.job = GlueSparkJob(
            self,
            "ProcessLegislators",
            naming=naming,
            settings=settings.glue,
            definition=job,
            log_retention_days=settings.logs.lambda_retention_days,
        )
