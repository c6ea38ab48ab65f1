"""The deployment diagram is laid out from the synthesized assemblies: every stack of every
stage account, every pipeline stage, and the approvals the config asks for."""

from __future__ import annotations

from shared.config import StageName
from shared.diagrams import deployment_layout
from shared.naming import AppName, PipelineNaming, StageNaming
from shared.registry import stage_stacks


def test_the_layout_shows_every_stage_stack_in_its_account(infrastructure, applications):
    config = infrastructure.config
    layout = deployment_layout(
        config,
        {AppName.INFRASTRUCTURE: infrastructure.stacks, AppName.APPLICATIONS: applications.stacks},
    )
    for account in layout.accounts:
        naming = StageNaming.of(config, account.stage)
        assert account.account == naming.account
        for app in AppName:
            assert sorted(account.stacks[app]) == sorted(stage_stacks(config, app, account.stage))
    for pipeline in layout.pipelines:
        naming = PipelineNaming(pipeline.app)
        assert pipeline.name == naming.pipeline
        assert [naming.stage_id(s) for s in StageName] == pipeline.stages[-len(StageName) :]
        gated = [s for s in StageName if config.stages.get(s).approval_required]
        assert pipeline.approvals == {naming.stage_id(s): naming.approval_action(s) for s in gated}
