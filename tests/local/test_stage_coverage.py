"""Every resource of the dev stage's templates is created in the local AWS, run by the local
runtime, or reported not emulated with its reason in docs/testing.md; and what ``make run``
synthesizes is the templates the pipeline deploys."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from shared.config import REPOSITORY_ROOT, StageName
from shared.local import stage_assembly
from shared.local.resource_types import NO_PROVIDER, SUPPORT, Handling, support
from shared.local.stage import LocalStage
from shared.local.stage_assembly import cached_stage, synth_inputs_digest
from shared.registry import EXTRA_ENV_VAR
from tests.local.conftest import FAST_CLOCK

NOT_EMULATED = {"AWS::CloudTrail::Trail", "AWS::CloudWatch::Alarm", "Custom::S3AutoDeleteObjects"}
TESTING_DOC = REPOSITORY_ROOT / "docs" / "testing.md"
TYPE_TABLE_HEADER = "| type | local stage |"


def template_types(assembly):
    return Counter(
        body["Type"] for stack in assembly.stacks for body in stack.template["Resources"].values()
    )


@pytest.fixture(scope="module")
def dev_coverage(platform_config, dev_assembly, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("coverage")
    with LocalStage(
        platform_config, StageName.DEV, workdir=workdir, assembly=dev_assembly, clock=FAST_CLOCK
    ) as stage:
        return stage.coverage


def test_the_not_emulated_types_are_exactly_these(dev_assembly, dev_coverage):
    types = template_types(dev_assembly)
    assert set(dev_coverage.not_emulated) == NOT_EMULATED
    assert dev_coverage.not_emulated == {t: types[t] for t in NOT_EMULATED}
    assert dev_coverage.resources == sum(types.values())
    assert not [t for t in types if support(t).reason == NO_PROVIDER]


def test_every_property_of_the_dev_templates_is_applied(dev_coverage):
    assert dev_coverage.unapplied == {}


def type_table() -> str:
    """The table of docs/testing.md that lists what the local stage does with each type."""
    text = TESTING_DOC.read_text(encoding="utf-8")
    return text.split(TYPE_TABLE_HEADER, 1)[1].split("\n\n", 1)[0]


def test_the_docs_give_the_reason_for_each_type_not_emulated():
    documented = dict(re.findall(r"^\| `([\w:]+)` \| not emulated: (.+?) \|$", type_table(), re.M))
    expected = {t: s.reason for t, s in SUPPORT.items() if s.handling is Handling.NOT_EMULATED}
    assert documented == expected


def test_the_docs_list_every_type_the_local_stage_knows():
    listed = re.findall(r"^\| `([\w:]+)` \|", type_table(), re.M)
    assert sorted(listed) == sorted(SUPPORT)


def test_make_run_synthesizes_the_templates_the_pipeline_deploys(
    dev_assembly, tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    own = cached_stage(StageName.DEV, cache, tmp_path / "scratch")
    # a second run with the same inputs reads the same assembly and synthesizes nothing
    monkeypatch.setattr(stage_assembly, "synthesize_stage", _no_synth)
    again = cached_stage(StageName.DEV, cache, tmp_path / "scratch")
    assert [s.template_file for s in again.stacks] == [s.template_file for s in own.stacks]
    assert [s.stack_name for s in own.stacks] == [s.stack_name for s in dev_assembly.stacks]
    for mine, pipelines in zip(own.stacks, dev_assembly.stacks, strict=True):
        assert _deployed(mine.template) == _deployed(pipelines.template), mine.stack_name
    assert {(a.bucket, a.key) for a in own.assets} == {
        (a.bucket, a.key) for a in dev_assembly.assets
    }


def _deployed(template):
    """What CloudFormation deploys: resources (without CDK's metadata) and outputs."""
    resources = {
        logical_id: {k: v for k, v in body.items() if k != "Metadata"}
        for logical_id, body in template["Resources"].items()
    }
    return resources, template.get("Outputs", {})


def _no_synth(*args, **kwargs):
    raise AssertionError("synthesized again although nothing changed")


def test_the_synth_digest_follows_the_config_and_refuses_outside_applications(
    tmp_path, monkeypatch
):
    config = (REPOSITORY_ROOT / "platform.yaml").read_text(encoding="utf-8")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(config, encoding="utf-8")
    second.write_text(config + "\n# another config\n", encoding="utf-8")
    assert synth_inputs_digest(str(first)) == synth_inputs_digest(str(first))
    assert synth_inputs_digest(str(first)) != synth_inputs_digest(str(second))
    monkeypatch.setenv(EXTRA_ENV_VAR, "tests.fixtures.throwaway_app.application:APPLICATION")
    assert synth_inputs_digest(str(first)) is None


def test_the_synth_digest_ignores_what_builds_and_runs_make(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    for name in (*stage_assembly.LOCK_FILES, "platform.yaml", "shared/naming.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name, encoding="utf-8")
    monkeypatch.setattr(stage_assembly, "REPOSITORY_ROOT", root)
    config = str(root / "platform.yaml")
    before = synth_inputs_digest(config)
    # a web UI's npm packages and build, as `make test` makes them beside a running synth
    for made in ("ui/node_modules/react/package.json", "ui/dist/config.json", "cdk.out/x.json"):
        (root / "applications_repo" / "app" / made).parent.mkdir(parents=True, exist_ok=True)
        (root / "applications_repo" / "app" / made).write_text("{}", encoding="utf-8")
    assert synth_inputs_digest(config) == before
    (root / "applications_repo" / "app" / "settings.py").write_text("X = 1\n", encoding="utf-8")
    assert synth_inputs_digest(config) != before
