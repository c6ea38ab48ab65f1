"""Each function's and job's role allows the calls its code declares, on the resources its
template points it at."""

from __future__ import annotations

import pytest

from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.legislators.names import LegislatorsNames
from shared.config import StageName
from shared.deployability.runtime_calls import (
    DeclarationError,
    declared_calls,
    problems,
    runtime_calls,
)
from shared.monitoring.definition import stage_definitions
from shared.naming import StageNaming
from tests.deployability.test_deliveries import planted, resources_of


def calls_of(stage, config, stage_name=StageName.DEV):
    naming = StageNaming.of(config, stage_name)
    return runtime_calls(stage, naming, stage_definitions(config, stage_name))


@pytest.mark.parametrize("stage_name", list(StageName), ids=lambda s: s.value)
def test_every_role_allows_the_calls_of_its_code(
    infrastructure, applications, platform_config, stage_name
):
    from tests.deployability.conftest import stage_templates  # noqa: PLC0415

    stage = stage_templates(infrastructure, applications, stage_name)
    calls = calls_of(stage, platform_config, stage_name)
    owners = {c.owner for c in calls}
    naming = StageNaming.of(platform_config, stage_name)
    assert {
        FileProcessorNames(naming).trigger_function,
        FileProcessorNames(naming).job,
        LegislatorsNames(naming).job,
    } <= owners
    assert problems(stage, calls) == []


def test_the_calls_resolve_to_the_stages_resources(dev_stage, platform_config):
    naming = StageNaming.of(platform_config, StageName.DEV)
    trigger = [
        c
        for c in calls_of(dev_stage, platform_config)
        if c.owner == FileProcessorNames(naming).trigger_function
    ]
    resources = {(c.request.action, c.request.resource) for c in trigger}
    assert ("glue:StartJobRun", naming.glue_job_arn(FileProcessorNames(naming).job)) in resources
    assert ("s3:PutObject", f"{naming.bucket_arn(naming.input_bucket)}/quarantine/*") in resources
    assert all(
        c.role_arn == naming.role_arn(FileProcessorNames(naming).trigger_role) for c in trigger
    )


def test_a_dropped_grant_names_the_function_the_action_and_the_resource(dev_stage, platform_config):
    def drop_start_runs(templates):
        for policy in resources_of(templates, "AWS::IAM::ManagedPolicy"):
            document = policy["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if s.get("Sid") != "StartFileProcessorRuns"
            ]

    changed = planted(dev_stage, drop_start_runs)
    found = problems(changed, calls_of(changed, platform_config))
    assert any(
        line.startswith(
            "GlueTriggerLambda-dev: its role GlueTriggerLambdaRole-dev may not glue:StartJobRun"
        )
        for line in found
    ), found


def test_a_declaration_naming_nothing_is_an_error(dev_stage, platform_config, monkeypatch):
    from applications_repo.file_processor.runtime import trigger  # noqa: PLC0415

    monkeypatch.setattr(trigger, "AWS_CALLS", (("s3:GetObject", "arn:aws:s3:::{env.NOPE}/*"),))
    with pytest.raises(DeclarationError, match="NOPE"):
        calls_of(dev_stage, platform_config)


def test_a_module_without_declarations_is_refused():
    with pytest.raises(DeclarationError, match="declares no AWS_CALLS"):
        declared_calls("shared.naming:StageNaming")
