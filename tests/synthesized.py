"""Each CDK app synthesized once per test run (the pytest-xdist workers share it), through
the same path as `cdk synth` (cdk-nag runs inside ``app.synth()`` and fails it on any
unacknowledged finding); the CDK and deployability tiers share them."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from applications_repo.stage import DELIVERY
from infrastructure_repo.stage import InfrastructureStage
from shared.assembly import SynthesizedStack, stacks
from shared.cdk_app import build_delivery_app
from shared.config import CONFIG_CONTEXT_KEY, PlatformConfig, StageName
from shared.local.stage_assembly import StageAssembly, pipeline_stage_directories, read_assemblies
from shared.naming import AppName, PipelineNaming, StageNaming
from shared.pipeline import Delivery


@dataclass
class Synthesized:
    """One synthesized app: its cloud assembly and a way to its templates."""

    app: AppName
    config: PlatformConfig
    outdir: Path
    stacks: list[SynthesizedStack]

    def stack(self, stack_name: str) -> SynthesizedStack:
        return next(s for s in self.stacks if s.stack_name == stack_name)

    def template(self, stack_name: str) -> Template:
        return Template.from_json(self.stack(stack_name).template)

    def stage_template(self, stage: StageName, concern: str) -> Template:
        naming = StageNaming.of(self.config, stage)
        return self.template(naming.stack_name(self.app, concern))

    def application_template(self, stage: StageName, application: str) -> Template:
        """The stack of one registered application in ``stage``."""
        return self.template(StageNaming.of(self.config, stage).application_stack(application))

    def pipeline_template(self) -> Template:
        return self.template(PipelineNaming(self.app).stack_name)


def synthesize(
    delivery: Delivery, outdir: Path, config: PlatformConfig, config_path: Path | None = None
) -> Synthesized:
    context = {CONFIG_CONTEXT_KEY: str(config_path)} if config_path else None
    app = build_delivery_app(delivery, context=context, outdir=str(outdir))
    app.synth()
    return Synthesized(delivery.app, config, outdir, stacks(outdir))


def synthesized_once(
    tmp_path_factory: pytest.TempPathFactory, delivery: Delivery, config: PlatformConfig
) -> Synthesized:
    """``delivery`` synthesized once per test run: under pytest-xdist the first worker to
    ask synthesizes it into the folder the workers share, the others wait for it and read it."""
    name = f"{delivery.app.value}-cdk.out"
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return synthesize(delivery, tmp_path_factory.mktemp(name), config)
    shared = tmp_path_factory.getbasetemp().parent
    outdir, done = shared / name, shared / f"{name}.done"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return Synthesized(delivery.app, config, outdir, stacks(outdir))
        synthesized = synthesize(delivery, outdir, config)
        done.touch()
        return synthesized


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory, platform_config) -> Synthesized:
    """The infrastructure app, synthesized from platform.yaml."""
    delivery = Delivery(AppName.INFRASTRUCTURE, InfrastructureStage)
    return synthesized_once(tmp_path_factory, delivery, platform_config)


@pytest.fixture(scope="session")
def applications(tmp_path_factory, platform_config) -> Synthesized:
    """The applications app, synthesized from platform.yaml."""
    return synthesized_once(tmp_path_factory, DELIVERY, platform_config)


@pytest.fixture(params=list(AppName), ids=lambda app: app.value)
def every_app(request, infrastructure, applications) -> Synthesized:
    """Each app in turn."""
    return {AppName.INFRASTRUCTURE: infrastructure, AppName.APPLICATIONS: applications}[
        request.param
    ]


@pytest.fixture(scope="session")
def dev_assembly(infrastructure, applications) -> StageAssembly:
    """The dev stage's assemblies inside the two pipelines' (what Deploy-Dev deploys)."""
    outdirs = {
        AppName.INFRASTRUCTURE: infrastructure.outdir,
        AppName.APPLICATIONS: applications.outdir,
    }
    return read_assemblies(pipeline_stage_directories(outdirs, StageName.DEV))
