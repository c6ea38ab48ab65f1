"""The base of every deployment stage: one stage account, its config and names, its tags."""

from __future__ import annotations

from typing import Protocol

from aws_cdk import Environment, Stage
from constructs import Construct

from shared.compliance import apply_tags
from shared.config import PlatformConfig, StageName, StageSettings
from shared.naming import StageNaming


class DeploymentStage(Stage):
    """A CDK ``Stage`` bound to one stage account (dev or prod) of the config.

    Subclasses add their stacks; every resource in them is tagged with the stage.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: PlatformConfig, stage: StageName
    ) -> None:
        naming = StageNaming.of(config, stage)
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=naming.account, region=naming.region),
        )
        self.config = config
        self.stage = stage
        self.settings: StageSettings = config.stages.get(stage)
        self.naming = naming
        apply_tags(self, config, stage.value)


class StageFactory(Protocol):
    """Builds an app's deployment stage for one stage account."""

    def __call__(
        self, scope: Construct, construct_id: str, *, config: PlatformConfig, stage: StageName
    ) -> DeploymentStage: ...
