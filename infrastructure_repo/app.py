"""The infrastructure app: config -> pipeline(stage factory)."""

from infrastructure_repo.stage import DELIVERY
from shared.cdk_app import synth_delivery_app

synth_delivery_app(DELIVERY)
