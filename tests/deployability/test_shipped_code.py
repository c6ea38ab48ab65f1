"""The code the dev stage ships: every repository module that a Lambda function's or a Glue
job's code imports is in that code, as synthesized (a module split out of another must not be
left behind in the repository)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from shared.bundling import (
    GLUE_LIBRARIES_ZIP,
    REPOSITORY_PACKAGES,
    module_source,
    repository_imports,
)
from shared.config import REPOSITORY_ROOT
from shared.local.stage_assembly import StageAssembly


def shipped_sources(asset: Path) -> dict[str, str]:
    """The repository's Python files in a code asset (and in its Glue libraries), by path."""
    sources = {
        path.relative_to(asset).as_posix(): path.read_text(encoding="utf-8")
        for path in asset.rglob("*.py")
        if path.parent == asset or path.relative_to(asset).parts[0] in REPOSITORY_PACKAGES
    }
    libraries = asset / GLUE_LIBRARIES_ZIP
    if libraries.is_file():
        with zipfile.ZipFile(libraries) as archive:
            sources |= {
                name: archive.read(name).decode()
                for name in archive.namelist()
                if name.endswith(".py")
            }
    return sources


def missing_imports(sources: dict[str, str]) -> list[str]:
    """``file: module`` for each repository module a shipped file imports and the code lacks."""
    missing = []
    for filename, source in sorted(sources.items()):
        for name in repository_imports(source, filename):
            module = module_source(name)
            if module is not None and module.relative_to(REPOSITORY_ROOT).as_posix() not in sources:
                missing.append(f"{filename}: {name}")
    return missing


def code_assets(assembly: StageAssembly) -> list[Path]:
    return sorted(
        {
            asset.source
            for asset in assembly.assets
            if asset.source.is_dir() and any(asset.source.glob("*.py"))
        }
    )


def test_the_stage_ships_code_for_every_application(dev_assembly):
    shipped = {name for asset in code_assets(dev_assembly) for name in shipped_sources(asset)}
    for package in ("file_processor", "parquet_to_json", "ndjson_batching", "medallion"):
        assert any(name.startswith(f"applications_repo/{package}/") for name in shipped), package


def test_every_repository_module_the_shipped_code_imports_is_shipped_with_it(dev_assembly):
    missing = {
        asset.name: gaps
        for asset in code_assets(dev_assembly)
        if (gaps := missing_imports(shipped_sources(asset)))
    }
    assert not missing


def test_a_module_missing_from_the_code_is_named():
    sources = {"handler.py": "from applications_repo.parquet_to_json.statuses import Status\n"}
    assert missing_imports(sources) == [
        "handler.py: applications_repo.parquet_to_json.statuses",
    ]
