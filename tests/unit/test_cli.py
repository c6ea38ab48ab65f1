"""``gdp``: the config commands, the bootstrap commands and the synth summary."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from shared.cli.main import main
from shared.config import REPOSITORY_ROOT
from tests.unit.config_files import write_config


def test_help_lists_the_commands(capsys):
    try:
        main(["--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    out = capsys.readouterr().out
    for command in ("config", "synth", "bootstrap"):
        assert command in out


def test_building_the_commands_loads_neither_the_cdk_nor_boto3():
    """Every ``gdp`` command builds the whole parser: a registration that imports a stack
    module starts jsii's node process (a second of each ``gdp process``), and one that
    imports boto3 costs a tenth of a second."""
    probe = (
        "import sys; from shared.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('aws_cdk', 'jsii', 'cdk_nag', 'boto3') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]", loaded.stdout


def test_config_validate_accepts_the_shipped_file(capsys):
    assert main(["config", "validate"]) == 0
    assert "valid (pipeline 111111111111 us-east-1" in capsys.readouterr().out


def test_config_validate_lists_every_problem_and_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_config(
        tmp_path, {"accounts.dev.account_id": "12345", "stage_defaults.glue.wrkers": 4}
    )
    assert main(["config", "validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        "platform.yaml: accounts.dev.account_id: '12345' is not a 12-digit AWS account ID"
    )
    assert err[1].startswith("platform.yaml: stage_defaults.glue.wrkers: unknown key")
    assert err[2].endswith("2 problems")


def test_config_show_prints_the_resolved_config_and_the_names(capsys):
    assert main(["config", "show"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["stages"]["prod"]["glue"]["max_concurrent_runs"] == 3
    assert shown["names"]["dev"]["input_bucket"] == "glue-input-dev-222222222222"


def test_bootstrap_policy_is_json_for_the_stage_account(capsys):
    assert main(["bootstrap", "policy", "--stage", "prod"]) == 0
    policy = json.loads(capsys.readouterr().out)
    resources = json.dumps(policy)
    assert "333333333333" in resources and "222222222222" not in resources


def test_bootstrap_commands_trust_the_pipeline_account(capsys):
    assert main(["bootstrap", "commands"]) == 0
    out = capsys.readouterr().out
    assert "cdk bootstrap aws://222222222222/us-east-1 --trust 111111111111" in out
    assert "--cloudformation-execution-policies arn:aws:iam::333333333333:policy/" in out
    assert "cdk deploy GlueInfrastructurePipeline" in out


def test_single_account_trial_synthesizes_with_the_gates(tmp_path):
    # GIVEN a config whose stages deploy into the pipeline account
    same = {"account_id": "111111111111", "region": "us-east-1"}
    path = write_config(tmp_path, {"accounts.dev": same, "accounts.prod": same})
    # WHEN the infrastructure app is synthesized through gdp
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli.main",
            "synth",
            "--app",
            "infrastructure",
            "--config",
            str(path),
            "--outdir",
            str(tmp_path / "cdk.out"),
        ],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN every stack targets that one account and both gates pass
    assert result.returncode == 0, result.stderr
    assert "glue-infrastructure-storage-prod  111111111111" in result.stdout
    assert "cdk-nag AwsSolutions: passed" in result.stdout
    assert "cfn-lint: passed, 0 findings" in result.stdout
    assert "222222222222" not in result.stdout
    # AND the repository's own cloud assembly is left alone
    assert (tmp_path / "cdk.out" / "infrastructure" / "manifest.json").is_file()


def test_bootstrap_check_says_when_a_stage_account_must_be_bootstrapped_again(capsys, monkeypatch):
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from shared.bootstrap import (  # noqa: PLC0415
        DIGEST_PREFIX,
        execution_policies,
        execution_policy_name,
        policy_digest,
    )
    from shared.config import StageName, load_config  # noqa: PLC0415

    config = load_config(environ={})
    documents = execution_policies(config, StageName.DEV)
    account = config.accounts.dev.account_id
    monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
    monkeypatch.delenv("GDP_TEST_ROLE_ARN", raising=False)
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        # GIVEN no policy at all: stale
        assert main(["bootstrap", "check", "--stage", "dev"]) == 1
        assert "not created yet" in capsys.readouterr().out
        # GIVEN the policies of an older derivation: stale, naming the digests
        for part, document in enumerate(documents, start=1):
            iam.create_policy(
                PolicyName=execution_policy_name(StageName.DEV, part),
                PolicyDocument=json.dumps(document),
                Description=f"{DIGEST_PREFIX}000000000000",
            )
        assert main(["bootstrap", "check", "--stage", "dev"]) == 1
        out = capsys.readouterr().out
        assert f"the derived policy is {policy_digest(documents)}" in out
        # GIVEN the current ones: current
        for part in range(1, len(documents) + 1):
            arn = f"arn:aws:iam::{account}:policy/{execution_policy_name(StageName.DEV, part)}"
            iam.delete_policy(PolicyArn=arn)
            iam.create_policy(
                PolicyName=execution_policy_name(StageName.DEV, part),
                PolicyDocument=json.dumps(documents[part - 1]),
                Description=f"{DIGEST_PREFIX}{policy_digest(documents)}",
            )
        assert main(["bootstrap", "check", "--stage", "dev"]) == 0
        assert f"is current ({policy_digest(documents)})" in capsys.readouterr().out
