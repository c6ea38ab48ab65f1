"""The applications app: config -> pipeline(stage factory)."""

from applications_repo.stage import ApplicationsStage
from shared.cdk_app import synth_delivery_app
from shared.naming import AppName
from shared.pipeline import Delivery

synth_delivery_app(Delivery(AppName.APPLICATIONS, ApplicationsStage))
