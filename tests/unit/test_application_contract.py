"""The application contract: applications register in one place, own their settings and names,
and the platform imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared.config import REPOSITORY_ROOT, StageName, load_config
from shared.errors import ConfigError
from shared.naming import name_problem
from shared.registry import REGISTRY, RegistryError, _registered, registered
from tests.unit.config_files import write_config

APPLICATIONS_ROOT = REPOSITORY_ROOT / "applications_repo"
MAX_MODULE_LINES = 400


def test_the_registry_holds_the_shipped_applications():
    assert [app.name for app in registered()] == [
        "file-processor",
        "legislators",
        "ndjson-batching",
        "parquet-to-json",
        "medallion",
        "jobs-api",
    ]


def test_a_misregistered_application_is_refused(monkeypatch):
    from applications_repo.file_processor.application import FILE_PROCESSOR  # noqa: PLC0415

    dotted = "applications_repo.file_processor.application:FILE_PROCESSOR"
    monkeypatch.setattr(
        "shared.registry.load_object",
        lambda name: (dotted, dotted) if name == REGISTRY else FILE_PROCESSOR,
    )
    _registered.cache_clear()
    try:
        with pytest.raises(RegistryError, match="registered twice: file-processor"):
            _registered("")
    finally:
        _registered.cache_clear()


@pytest.mark.parametrize("stage", list(StageName))
def test_declared_names_are_unique_and_valid_for_their_service(stage):
    config = load_config(environ={})
    declared = [
        (app.name, name) for app in registered() for name in app.names(app.context(config, stage))
    ]
    names = [name.name for _, name in declared]
    assert len(names) == len(set(names)), "two applications declare the same name"
    assert [name_problem(n.kind, n.name) for _, n in declared if name_problem(n.kind, n.name)] == []


def test_a_name_too_long_for_its_service_is_a_problem():
    from shared.naming import NameKind  # noqa: PLC0415

    assert name_problem(NameKind.LAMBDA_FUNCTION, "x" * 65) is not None
    assert name_problem(NameKind.S3_BUCKET, "Upper-Case") is not None
    assert name_problem(NameKind.GLUE_JOB, "FileProcessorV2-dev") is None


def test_each_application_section_is_validated_by_its_own_model(tmp_path):
    path = write_config(
        tmp_path,
        {
            "applications.file-procesor": {"min_object_bytes": 1},
            "applications.legislators.input_urii": "s3://b/p/",
        },
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    problems = raised.value.problems
    assert any(
        "applications.file-procesor: unknown key; did you mean 'file-processor'?" in p
        for p in problems
    ), problems
    assert any(
        "applications.legislators.input_urii: unknown key; did you mean 'input_uri'?" in p
        and "(line " in p
        for p in problems
    ), problems


def test_a_stage_overrides_an_application_setting(tmp_path):
    path = write_config(
        tmp_path,
        {"stages.prod.applications": {"file-processor": {"max_object_bytes": 1000}}},
    )
    config = load_config(path, environ={})
    assert config.application_settings(StageName.PROD, "file-processor").max_object_bytes == 1000
    dev = config.application_settings(StageName.DEV, "file-processor")
    assert dev.max_object_bytes == 10 * 1024**3
    assert dev.idempotency_hours == 24


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


NOT_SOURCE = frozenset({"__pycache__", "cdk.out"})
"""Folders of copies: bytecode, and the code assets ``gdp synth`` stages beside each app."""


def python_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.py") if NOT_SOURCE.isdisjoint(p.parts)]


def test_the_platform_imports_no_application():
    offenders = [
        f"{path.relative_to(REPOSITORY_ROOT)} imports {module}"
        for path in python_files(REPOSITORY_ROOT / "shared")
        for module in imports_of(path)
        if module.startswith("applications_repo")
    ]
    assert offenders == []


def folder_of(app) -> str:
    """An application's folder: where its ``application`` module is."""
    return type(app).__module__.split(".")[1]


def test_applications_import_only_those_they_build_on():
    folders = {folder_of(app): app for app in registered()}
    assert len(folders) == len(registered())
    by_name = {app.name: folder_of(app) for app in registered()}
    offenders = [
        f"{path.relative_to(REPOSITORY_ROOT)} imports {module}"
        for folder, app in folders.items()
        for path in python_files(APPLICATIONS_ROOT / folder)
        for module in imports_of(path)
        if module.startswith("applications_repo.")
        and module.split(".")[1] not in {folder, *(by_name[n] for n in app.builds_on)}
    ]
    assert offenders == []


def test_an_application_builds_only_on_one_registered_before_it(monkeypatch):
    from applications_repo.jobs_api.application import JobsApi  # noqa: PLC0415

    monkeypatch.setattr(JobsApi, "builds_on", ("medallion", "not-there"))
    _registered.cache_clear()
    try:
        with pytest.raises(RegistryError, match="jobs-api builds on not-there, which must be"):
            registered()
    finally:
        _registered.cache_clear()


def test_no_module_is_over_400_lines():
    roots = ("shared", "applications_repo", "infrastructure_repo", "tests", "benchmarks")
    long = [
        f"{path.relative_to(REPOSITORY_ROOT)}: {lines}"
        for root in roots
        for path in python_files(REPOSITORY_ROOT / root)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_the_platform_mentions_no_application():
    config = load_config(environ={})
    words = set()
    for app in registered():
        words |= {app.name, app.name.replace("-", "_"), type(app).__name__}
        for stage in StageName:
            words |= {d.name.rsplit("-", 1)[0] for d in app.names(app.context(config, stage))}
    sources = [
        path
        for path in (REPOSITORY_ROOT / "shared").rglob("*")
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts
    ]
    mentions = [
        f"{path.relative_to(REPOSITORY_ROOT)}: {word}"
        for path in sources
        for word in sorted(words)
        if word in path.read_text(encoding="utf-8")
    ]
    assert mentions == []
