"""The code assets: a Glue job's libraries import on their own, as they will under Glue, the
Lambda bundle carries its handler and Powertools, a layer holds the locked wheels for its
function's Python, and a function job's run gets Glue's argument order."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile

import pytest

from applications_repo.file_processor import definition as file_processor
from applications_repo.legislators import definition as legislators
from applications_repo.parquet_to_json import definition as parquet_to_json
from shared import function_job
from shared.application import FUNCTION_JOB_PYTHON
from shared.bundling import (
    GLUE_LIBRARIES_ZIP,
    glue_bundle,
    lambda_bundle,
    locked_versions,
    python_layer,
    repository_imports,
)
from shared.constructs.functions import POWERTOOLS_PACKAGES

JOBS = {
    "file_processor": (file_processor.JOB_SCRIPT, file_processor.JOB_PACKAGES),
    "legislators": (legislators.JOB_SCRIPT, legislators.JOB_PACKAGES),
}


@pytest.mark.parametrize("job", JOBS)
def test_the_job_script_imports_with_only_its_libraries_and_the_glue_runtime(job, tmp_path):
    script, packages = JOBS[job]
    bundle = glue_bundle(f"test-{job}", script, packages)
    # WHEN the script is imported without the repository on the path, only the zip and the
    # third-party packages Glue provides (pyspark, boto3)
    probe = (
        "import sys, runpy; "
        f"sys.path[:0] = [{str(bundle / GLUE_LIBRARIES_ZIP)!r}]; "
        f"sys.path.append({sysconfig.get_paths()['purelib']!r}); "
        f"runpy.run_path({str(bundle / script.name)!r}, run_name='probe')"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN every import resolves
    assert result.returncode == 0, result.stderr


def test_glue_libraries_are_deterministic_and_hold_no_cdk_code():
    script, packages = JOBS["file_processor"]
    first = (glue_bundle("test-a", script, packages) / GLUE_LIBRARIES_ZIP).read_bytes()
    second = (glue_bundle("test-b", script, packages) / GLUE_LIBRARIES_ZIP).read_bytes()
    assert first == second
    names = zipfile.ZipFile(glue_bundle("test-a", script, packages) / GLUE_LIBRARIES_ZIP).namelist()
    assert "applications_repo/file_processor/job/processor.py" in names
    assert "shared/glue/storage.py" in names
    assert not [n for n in names if "infrastructure" in n or n.startswith("shared/config")]


def test_the_lambda_bundle_holds_the_handler_and_powertools():
    bundle = lambda_bundle("test-trigger", file_processor.TRIGGER_MODULE, POWERTOOLS_PACKAGES)
    assert (bundle / "trigger.py").is_file()
    assert (bundle / "aws_lambda_powertools" / "__init__.py").is_file()
    assert not list(bundle.rglob("__pycache__"))


def test_a_layer_holds_the_locked_wheels_for_its_python_without_their_tests(tmp_path):
    layer = python_layer(("pyarrow",), FUNCTION_JOB_PYTHON)
    # the same inputs give the same archive, kept (no second download or build)
    assert python_layer(("pyarrow",), FUNCTION_JOB_PYTHON) == layer
    with zipfile.ZipFile(layer) as archive:
        names = archive.namelist()
        metadata = archive.read(
            f"python/pyarrow-{locked_versions(['pyarrow'])['pyarrow']}.dist-info/WHEEL"
        ).decode()
    assert all(name.startswith("python/") for name in names)
    assert f"cp{FUNCTION_JOB_PYTHON.replace('.', '')}" in metadata
    assert "manylinux" in metadata and "x86_64" in metadata
    assert not [n for n in names if "/tests/" in n or "/include/" in n or n.endswith(".pyx")]
    assert any(n.endswith(".so") for n in names)


def test_a_function_job_run_takes_the_defaults_then_the_events_arguments():
    environ = {
        function_job.SCRIPT_VARIABLE: "some.script",
        function_job.ARGUMENTS_VARIABLE: '{"--database": "db", "--engine": "arrow"}',
    }
    event = {"JobRunId": "fr_1", "Arguments": {"--engine": "spark", "--source_key": "a b.csv"}}
    argv = function_job.job_argv(event, environ, "Runner-dev")
    assert argv[0] == "some.script"
    assert dict(zip(argv[1::2], argv[2::2], strict=True)) == {
        "--database": "db",
        "--engine": "spark",
        "--source_key": "a b.csv",
        "--JOB_NAME": "Runner-dev",
        "--JOB_RUN_ID": "fr_1",
    }


@pytest.mark.parametrize(
    "event",
    [{}, {"JobRunId": ""}, {"JobRunId": "fr_1", "Arguments": {"engine": "x"}}, {"JobRunId": 3}],
)
def test_an_event_that_is_not_a_run_is_refused_in_one_line(event):
    with pytest.raises(function_job.BadRunEventError) as refused:
        function_job.job_argv(event, {function_job.SCRIPT_VARIABLE: "s"}, "Runner-dev")
    assert "\n" not in str(refused.value)


def test_the_imports_a_bundle_follows_are_the_repositorys_outside_type_checking_blocks():
    source = (
        "from typing import TYPE_CHECKING\n"
        "import shared.clock\n"
        "from applications_repo.parquet_to_json import metadata\n"
        "import pyarrow\n"
        "if TYPE_CHECKING:\n"
        "    from shared.stage import DeploymentStage\n"
        "def later():\n"
        "    from shared.outcomes import Outcome\n"
    )
    assert repository_imports(source) == [
        "shared.clock",
        "applications_repo.parquet_to_json",
        "applications_repo.parquet_to_json.metadata",
        "shared.outcomes",
        "shared.outcomes.Outcome",
    ]


def test_a_lambda_bundle_takes_the_repository_modules_its_modules_import():
    bundle = lambda_bundle(
        "test-orchestrator",
        parquet_to_json.RUNTIME / "orchestrator.py",
        POWERTOOLS_PACKAGES,
        modules=parquet_to_json.FUNCTION_MODULES,
    )
    assert (bundle / "applications_repo" / "parquet_to_json" / "statuses.py").is_file()
    assert not (bundle / "applications_repo" / "parquet_to_json" / "definition.py").exists()
