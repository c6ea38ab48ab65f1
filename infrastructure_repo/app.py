"""The infrastructure app: config -> pipeline(stage factory)."""

from infrastructure_repo.stage import InfrastructureStage
from shared.cdk_app import synth_delivery_app
from shared.naming import AppName
from shared.pipeline import Delivery

synth_delivery_app(Delivery(AppName.INFRASTRUCTURE, InfrastructureStage))
