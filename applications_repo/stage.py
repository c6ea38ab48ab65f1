"""One stage of the applications app: one stack per application, in one account.

The stacks find the infrastructure app's buckets, roles and database by the naming module,
never by CloudFormation exports, so the two apps deploy independently.
"""

from __future__ import annotations

from constructs import Construct

from applications_repo.file_processor.infrastructure import FileProcessorStack
from applications_repo.legislators.infrastructure import LegislatorsStack
from applications_repo.monitoring.infrastructure import MonitoringStack
from shared.application import installed_applications
from shared.config import PlatformConfig, StageName
from shared.naming import AppName, Concern
from shared.pipeline import Delivery
from shared.stage import DeploymentStage

APP = AppName.APPLICATIONS


class ApplicationsStage(DeploymentStage):
    """The Glue applications of a stage account."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: PlatformConfig, stage: StageName
    ) -> None:
        super().__init__(scope, construct_id, config=config, stage=stage)
        naming = self.naming
        self.file_processor = FileProcessorStack(
            self,
            "FileProcessor",
            stack_name=naming.stack_name(APP, Concern.FILE_PROCESSOR),
            description=f"FileProcessorV2 and its trigger ({stage} stage).",
            naming=naming,
            settings=self.settings,
        )
        self.legislators = LegislatorsStack(
            self,
            "Legislators",
            stack_name=naming.stack_name(APP, Concern.LEGISLATORS),
            description=f"ProcessLegislators ({stage} stage).",
            naming=naming,
            settings=self.settings,
        )
        self.monitoring = MonitoringStack(
            self,
            "Monitoring",
            stack_name=naming.stack_name(APP, Concern.MONITORING),
            description=f"Alarms, alerts and dashboard of the Glue applications ({stage} stage).",
            naming=naming,
            settings=self.settings,
            applications=installed_applications(naming, self.settings),
        )


DELIVERY = Delivery(AppName.APPLICATIONS, ApplicationsStage, checks_infrastructure=True)
"""What the applications pipeline ships: each stage waits for its infrastructure's contract."""
