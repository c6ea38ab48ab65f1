"""An application from outside the registry, added with one line (GDP_EXTRA_APPLICATIONS) and
no platform change: it synthesizes through every gate (cdk-nag, cfn-lint, checkov, the deploy
permissions and its role's calls), shows in the config, ``gdp apps``, the configuration page
and the deployment diagram, and runs in the local stage."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.assembly import stacks
from shared.bootstrap import execution_policies
from shared.config import REPOSITORY_ROOT, StageName, load_config
from shared.config.reference import render
from shared.deployability.deploy_permissions import denied, requirements
from shared.deployability.runtime_calls import problems as runtime_problems
from shared.deployability.runtime_calls import runtime_calls
from shared.deployability.stage_templates import StageTemplates
from shared.diagrams import deployment_layout
from shared.monitoring.definition import stage_definitions
from shared.naming import AppName, StageNaming
from shared.registry import EXTRA_ENV_VAR, registered
from tests.unit.config_files import write_config

pytestmark = pytest.mark.integration
THROWAWAY = "tests.fixtures.throwaway_app.application:APPLICATION"


@pytest.fixture
def throwaway_env(monkeypatch, tmp_path):
    """The throwaway application registered, and a config that sets its one setting."""
    monkeypatch.setenv(EXTRA_ENV_VAR, THROWAWAY)
    config = write_config(
        tmp_path,
        {"applications.throwaway": {"input_uri": "s3://glue-throwaway-samples/lines/"}},
    )
    monkeypatch.setenv("GDP_CONFIG", str(config))
    # an application outside the repository's packages must be importable: here, from the root
    path = os.pathsep.join(filter(None, [str(REPOSITORY_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, EXTRA_ENV_VAR: THROWAWAY, "GDP_CONFIG": str(config), "PYTHONPATH": path}


def gdp(env, *arguments, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *arguments],
        cwd=REPOSITORY_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def gdp_started(env, *arguments) -> subprocess.Popen:
    """``gdp`` started in the background (the two apps synthesize side by side)."""
    return subprocess.Popen(
        [sys.executable, "-m", "shared.cli.main", *arguments],
        cwd=REPOSITORY_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_new_application_goes_through_every_gate_and_the_local_stage(throwaway_env, tmp_path):
    env = throwaway_env
    assert [app.name for app in registered()][-1] == "throwaway"
    config = load_config()
    naming = StageNaming.of(config, StageName.DEV)

    # the config, gdp apps and the configuration page know it
    shown = gdp(env, "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert "throwaway:" in shown.stdout and "Throwaway-dev: Glue job" in shown.stdout
    apps = gdp(env, "apps")
    assert "throwaway: sample lines" in apps.stdout and "Throwaway-dev" in apps.stdout
    assert "## applications.throwaway / stages.<stage>.applications.throwaway" in render(config)

    # it synthesizes through cdk-nag, cfn-lint and checkov, and the diagram shows its stack
    out = str(tmp_path / "out")
    applications = gdp_started(env, "synth", "--app", "applications", "--outdir", out)
    infrastructure = gdp_started(env, "synth", "--app", "infrastructure", "--outdir", out)
    synth_out, synth_err = applications.communicate(timeout=600)
    assert applications.returncode == 0, synth_out + synth_err
    assert "checkov: passed" in synth_out
    synthesized = stacks(tmp_path / "out" / "applications")
    stack = naming.application_stack("throwaway")
    assert stack in {s.stack_name for s in synthesized}
    layout = deployment_layout(config, {AppName.APPLICATIONS: synthesized})
    dev = next(a for a in layout.accounts if a.stage is StageName.DEV)
    assert stack in dev.stacks[AppName.APPLICATIONS]

    # the execution policy is derived for it, and its role allows the calls its code declares
    infra_out, infra_err = infrastructure.communicate(timeout=600)
    assert infrastructure.returncode == 0, infra_out + infra_err
    dev_stacks = [
        s
        for s in synthesized + stacks(tmp_path / "out" / "infrastructure")
        if "/Deploy-Dev/" in s.construct_path
    ]
    stage = StageTemplates(dev_stacks)
    needed, unmodelled = requirements(stage)
    assert unmodelled == []
    assert denied(execution_policies(config, StageName.DEV), needed) == []
    calls = runtime_calls(stage, naming, stage_definitions(config, StageName.DEV))
    assert "Throwaway-dev" in {c.owner for c in calls}
    assert runtime_problems(stage, calls) == []

    # and it runs in the local stage, deployed beside the shipped applications
    run = gdp(env, "run", "--app", "throwaway", "--assembly", out)
    assert run.returncode == 0, run.stdout + run.stderr
    [row] = [line for line in run.stdout.splitlines() if line.startswith("Throwaway-dev sample")]
    assert "SUCCEEDED" in row
