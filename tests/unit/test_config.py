"""The config file: the shipped file, the spec's defaults, every kind of invalid value,
unknown keys, overrides."""

from __future__ import annotations

import pydantic
import pytest

from shared.config import StageName, load_config
from shared.errors import ConfigError
from tests.unit.config_files import DELETE, write_config

PLACEHOLDER_ACCOUNTS = {"pipeline": "111111111111", "dev": "222222222222", "prod": "333333333333"}


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Errors name files relative to the working directory, as a user would see them."""
    monkeypatch.chdir(tmp_path)


def problems_of(path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return list(caught.value.problems)


def test_shipped_file_uses_the_placeholder_accounts():
    config = load_config(environ={})
    for name, account_id in PLACEHOLDER_ACCOUNTS.items():
        assert getattr(config.accounts, name).account_id == account_id
    assert config.source.single_repository


def test_stage_settings_default_to_the_specification(tmp_path):
    # GIVEN a file that says nothing about the stages
    path = write_config(tmp_path, {"stage_defaults": DELETE, "stages": DELETE})
    config = load_config(path, environ={})
    for stage in StageName:
        settings = config.stages.get(stage)
        assert settings.glue.version == "5.1"
        assert settings.glue.worker_type == "G.1X"
        assert (settings.glue.min_workers, settings.glue.max_workers) == (2, 10)
        assert settings.glue.timeout_minutes == 60
        assert settings.glue.max_concurrent_runs == 3
        assert settings.storage.input_expiration_days == 30
        assert settings.storage.output_expiration_days == 90
        assert settings.logs.lambda_retention_days == 14
        assert settings.logs.glue_retention_days == 30
        assert settings.alarms.job_failure_rate_percent == 10
        assert settings.alarms.duration_factor == 2
        assert settings.alarms.lambda_error_rate_percent == 5
    assert config.project.name == "glue-data-pipeline"
    assert config.project.owner == "data-engineering-team"
    assert config.project.cost_center == "engineering"
    # prod waits for approval and keeps its data; dev does neither
    assert config.stages.prod.approval_required and config.stages.prod.retain_data
    assert not config.stages.dev.approval_required and not config.stages.dev.retain_data


def test_error_names_file_field_value_and_line(tmp_path):
    path = write_config(tmp_path, {"accounts.dev.account_id": "12345"})
    [problem] = problems_of(path)
    assert problem.startswith(
        "platform.yaml: accounts.dev.account_id: '12345' is not a 12-digit AWS account ID"
    )
    line = problem.rsplit("(line ", 1)[1].rstrip(")")
    assert "account_id: '12345'" in path.read_text().splitlines()[int(line) - 1]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("accounts.prod.region", "mars-1", "'mars-1' is not an AWS region name"),
        ("source.connection_arn", "arn:aws:s3:::x", "is not a CodeConnections ARN"),
        ("source.repositories.applications", "no-slash", "is not a GitHub repository"),
        ("source.branch", "bad branch", "should match pattern"),
        ("project.owner", "", "is not a valid AWS tag value"),
        ("pipeline.notification_emails", ["not-an-email"], ".0: 'not-an-email' is not an email"),
        ("stage_defaults.glue.version", "3.0", "'3.0' is not one of '4.0', '5.0' or '5.1'"),
        ("stage_defaults.glue.worker_type", "G.3X", "'G.3X' is not one of"),
        ("stage_defaults.glue.max_concurrent_runs", 0, "0 should be greater than or equal to 1"),
        ("stage_defaults.glue.timeout_minutes", "an hour", "'an hour' is not a whole number"),
        ("stage_defaults.logs.glue_retention_days", 31, "31 is not a CloudWatch Logs retention"),
        ("stage_defaults.alarms.duration_factor", 1, "1 should be greater than 1"),
        ("stages.dev.approval_required", "perhaps", "'perhaps' is not true or false"),
        (
            "stages.prod.applications.file-processor.min_object_bytes",
            -1,
            "-1 should be greater than 0",
        ),
        ("applications.legislators.input_uri", "http://x", "is not an S3 location"),
    ],
)
def test_each_kind_of_invalid_value_is_reported(tmp_path, field, value, message):
    path = write_config(tmp_path, {field: value})
    [problem] = problems_of(path)
    assert problem.startswith(f"platform.yaml: {field}")
    assert message in problem


def test_cross_field_rules(tmp_path):
    path = write_config(
        tmp_path,
        {"stages.dev.glue": {"min_workers": 5, "max_workers": 3}, "stages.prod.retain_data": False},
    )
    problems = problems_of(path)
    assert any("stages.dev.glue: max_workers (3) is below min_workers (5)" in p for p in problems)


def test_retries_need_run_queuing_off(tmp_path):
    path = write_config(tmp_path, {"stages.prod.glue": {"max_retries": 2}})
    [problem] = problems_of(path)
    assert "max_retries (2) must be 0 while run_queuing is true" in problem
    path = write_config(tmp_path, {"stages.prod.glue": {"max_retries": 2, "run_queuing": False}})
    assert load_config(path, environ={}).stages.prod.glue.max_retries == 2


def test_prod_data_is_always_retained(tmp_path):
    path = write_config(tmp_path, {"stages.prod.retain_data": False})
    [problem] = problems_of(path)
    assert "prod data is always retained" in problem


@pytest.mark.parametrize(
    ("field", "suggestion"),
    [
        ("projct", "did you mean 'project'?"),
        ("stage_defaults.glue.max_worker", "did you mean 'max_workers'?"),
        ("stages.prod.aproval_required", "did you mean 'approval_required'?"),
        ("stages.qa", "(allowed: dev, prod)"),
    ],
)
def test_unknown_keys_are_errors_with_a_suggestion(tmp_path, field, suggestion):
    path = write_config(tmp_path, {field: {} if field == "stages.qa" else 1})
    [problem] = problems_of(path)
    assert f"{field}: unknown key" in problem
    assert suggestion in problem


def test_every_problem_is_listed_at_once(tmp_path):
    path = write_config(
        tmp_path,
        {
            "accounts.dev.account_id": "1",
            "accounts.prod.region": "x",
            "stage_defaults.glue.typo": 1,
        },
    )
    problems = problems_of(path)
    assert len(problems) == 3
    assert all(p.startswith("platform.yaml: ") for p in problems)


def test_missing_required_values_say_how_to_supply_them(tmp_path):
    path = write_config(tmp_path, {"accounts.dev.account_id": DELETE, "source": DELETE})
    problems = problems_of(path)
    assert any(
        "accounts.dev.account_id: is required (set it here or export CDK_DEFAULT_ACCOUNT)" in p
        for p in problems
    )
    assert any("source: is required" in p for p in problems)


def test_unreadable_files_are_one_line_errors(tmp_path):
    assert problems_of(tmp_path / "absent.yaml") == ["absent.yaml: file not found"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("accounts:\n  dev: [unclosed\n")
    [problem] = problems_of(broken)
    assert "not valid YAML" in problem and "(line 3, column 1)" in problem
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n")
    assert "must hold a mapping" in problems_of(scalar)[0]


def test_duplicate_keys_are_errors(tmp_path):
    path = tmp_path / "platform.yaml"
    text = write_config(tmp_path, {}).read_text()
    path.write_text(text + "project:\n  name: again\n")
    [problem] = problems_of(path)
    assert "project: duplicate key" in problem


def test_unquoted_account_ids_are_accepted(tmp_path):
    path = write_config(tmp_path, {"accounts.dev.account_id": 444444444444})
    assert load_config(path, environ={}).accounts.dev.account_id == "444444444444"


def test_stage_defaults_apply_to_every_stage_and_a_stage_block_wins(tmp_path):
    path = write_config(
        tmp_path,
        {"stage_defaults.glue.max_workers": 20, "stages.prod.glue": {"max_workers": 40}},
    )
    config = load_config(path, environ={})
    assert config.stages.dev.glue.max_workers == 20
    assert config.stages.prod.glue.max_workers == 40
    assert config.stages.prod.glue.min_workers == 2


def test_an_error_in_stage_defaults_is_reported_where_it_was_written(tmp_path):
    path = write_config(tmp_path, {"stage_defaults.glue.max_retries": 99})
    [problem] = problems_of(path)
    assert problem.startswith("platform.yaml: stage_defaults.glue.max_retries: 99")


def test_config_file_from_environment_variable_or_explicit_path(tmp_path):
    other = write_config(tmp_path, {"project.owner": "team-b"}, name="other.yaml")
    assert load_config(environ={"GDP_CONFIG": str(other)}).project.owner == "team-b"
    third = write_config(tmp_path, {"project.owner": "team-c"}, name="third.yaml")
    assert load_config(third, environ={"GDP_CONFIG": str(other)}).project.owner == "team-c"


def test_cdk_default_account_and_region_fill_what_the_file_leaves_out(tmp_path):
    path = write_config(
        tmp_path,
        {
            "accounts.dev": {},
            "accounts.prod": DELETE,
            "accounts.pipeline.region": DELETE,
        },
    )
    environ = {"CDK_DEFAULT_ACCOUNT": "999999999999", "CDK_DEFAULT_REGION": "eu-west-1"}
    config = load_config(path, environ=environ)
    assert config.accounts.dev.account_id == "999999999999"
    assert config.accounts.prod.region == "eu-west-1"
    assert config.accounts.pipeline.region == "eu-west-1"
    # what the file says wins over the environment
    assert config.accounts.pipeline.account_id == "111111111111"


def test_single_account_trial_is_valid(tmp_path):
    same = {"account_id": "111111111111", "region": "us-east-1"}
    path = write_config(tmp_path, {"accounts.dev": same, "accounts.prod": same})
    assert load_config(path, environ={}).single_account


def test_settings_are_immutable():
    config = load_config(environ={})
    with pytest.raises(pydantic.ValidationError):
        config.stages.dev.glue.max_workers = 99
