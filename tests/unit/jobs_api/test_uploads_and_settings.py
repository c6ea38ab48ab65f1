"""The upload confirmation's edges, and the settings' rules (auth per stage)."""

from __future__ import annotations

import pytest

from applications_repo.jobs_api.jobs import job_of_key
from applications_repo.jobs_api.settings import JobsApiSettings
from shared.config import load_config
from shared.errors import ConfigError
from tests.unit.config_files import write_config
from tests.unit.jobs_api.conftest import NAMES, Stage


@pytest.mark.parametrize(
    ("key", "job"),
    [
        ("uploads/abc/file.parquet", "abc"),
        ("uploads/abc/", None),
        ("uploads/file.parquet", None),
        ("other/abc/file.parquet", None),
        ("uploads/abc/d/file.parquet", None),
    ],
)
def test_only_keys_of_a_job_name_one(key, job):
    assert job_of_key(key) == job


def test_an_object_of_a_cancelled_job_does_not_revive_it(stage: Stage):
    job_id = stage.upload()
    stage.request("POST", f"/jobs/{job_id}/cancel")
    assert stage.confirm(job_id) == {
        "status": "IGNORED",
        "job": job_id,
        "reason": "job is CANCELLED",
    }


def test_an_object_under_no_job_is_left_as_it_is(stage: Stage):
    stage.s3.put_object(Bucket=NAMES.input_bucket, Key="uploads/ghost/x.parquet", Body=b"PAR1")
    assert stage.confirm("ghost", "x.parquet") == {
        "status": "IGNORED",
        "job": "ghost",
        "reason": "no such job",
    }


def test_auth_none_is_refused_outside_dev(tmp_path):
    path = write_config(
        tmp_path, {"stages": {"prod": {"applications": {"jobs-api": {"auth": "none"}}}}}
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert "stages.prod.applications.jobs-api" in message
    assert "auth: none is accepted for a local or dev stage only, not prod" in message


def test_auth_none_is_accepted_in_dev_and_the_default_is_iam():
    assert JobsApiSettings().auth == "iam"
    config = load_config(environ={})
    from applications_repo.jobs_api.application import JOBS_API  # noqa: PLC0415

    assert JOBS_API.context(config, "dev").app.auth == "none"
    assert JOBS_API.context(config, "prod").app.auth == "iam"


def test_a_dev_stage_allows_the_local_web_uis_origin_and_prod_does_not():
    from applications_repo.jobs_api.application import JOBS_API  # noqa: PLC0415

    config = load_config(environ={})
    dev, prod = (JOBS_API.context(config, stage).app for stage in ("dev", "prod"))
    assert dev.origins == (*dev.allowed_origins, "http://127.0.0.1:5180")
    assert prod.origins == prod.allowed_origins
