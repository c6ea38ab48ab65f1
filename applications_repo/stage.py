"""One stage of the applications app: one stack per registered application, then the stage's
monitoring, in one account.

The stacks find the infrastructure app's buckets, roles and database by the naming module,
never by CloudFormation exports, so the two apps deploy independently.
"""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from shared.config import PlatformConfig, StageName
from shared.monitoring.stack import MonitoringStack
from shared.naming import AppName, Concern
from shared.pipeline import Delivery
from shared.registry import RatioAlarm, ThresholdAlarm, Widget, definitions, registered
from shared.stage import DeploymentStage

APP = AppName.APPLICATIONS


class ApplicationsStage(DeploymentStage):
    """The registered applications of a stage account, and their monitoring."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: PlatformConfig, stage: StageName
    ) -> None:
        super().__init__(scope, construct_id, config=config, stage=stage)
        naming = self.naming
        alarms: list[RatioAlarm | ThresholdAlarm] = []
        widgets: list[Widget] = []
        self.application_stacks: list[Stack] = []
        for application in registered():
            context = application.context(config, stage)
            self.application_stacks += application.build(self, context)
            alarms += application.alarms(context)
            widgets += application.widgets(context)
        self.monitoring = MonitoringStack(
            self,
            "Monitoring",
            stack_name=naming.stack_name(APP, Concern.MONITORING),
            description=f"Alarms, alerts and dashboard of the Glue applications ({stage} stage).",
            naming=naming,
            settings=self.settings,
            applications=definitions(config, stage),
            alarms=alarms,
            widgets=widgets,
        )


DELIVERY = Delivery(AppName.APPLICATIONS, ApplicationsStage, checks_infrastructure=True)
"""What the applications pipeline ships: each stage waits for its infrastructure's contract."""
