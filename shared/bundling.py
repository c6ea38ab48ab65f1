"""Builds the code assets of Lambda functions and Glue jobs at synth time, without Docker.

Both are assembled from this repository and the synth environment (whose versions come from
``requirements.lock``) into ``build/``; the contents are deterministic, so the asset hashes
change only when the code does.
"""

from __future__ import annotations

import importlib
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

from shared.config import REPOSITORY_ROOT

BUILD_ROOT = REPOSITORY_ROOT / "build"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "tests")
# Zip entries carry this timestamp so that identical code gives an identical archive.
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
GLUE_LIBRARIES_ZIP = "libraries.zip"


def _package_root(dotted: str) -> Path:
    """The directory (package) or file (module) of an importable name."""
    module = importlib.import_module(dotted)
    origin = Path(module.__file__ or "")
    return origin.parent if origin.name == "__init__.py" else origin


def lambda_bundle(
    name: str,
    handler_module: Path,
    vendored: Sequence[str],
    modules: Sequence[str] = (),
) -> Path:
    """A Lambda code directory: the handler module, the vendored packages beside it, and the
    repository modules it imports at their import paths.

    Args:
        name: the bundle's folder under ``build/lambda/``.
        handler_module: the function's own source file.
        vendored: top-level packages to ship with it (pure Python, e.g. Powertools).
        modules: dotted names of repository modules it imports (e.g. ``shared.quarantine``).
    """
    target = BUILD_ROOT / "lambda" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copyfile(handler_module, target / handler_module.name)
    for package in vendored:
        source = _package_root(package)
        if source.is_dir():
            shutil.copytree(source, target / source.name, ignore=IGNORED)
        else:
            shutil.copyfile(source, target / source.name)
    for arcname, path in _repository_files(modules).items():
        destination = target / arcname
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


def _repository_files(packages: Sequence[str]) -> dict[str, Path]:
    """The source files of repository packages or modules, with their parents' ``__init__``,
    keyed by their path relative to the repository."""
    files: dict[str, Path] = {}
    for package in packages:
        root = _package_root(package)
        parts = package.split(".")
        for depth in range(1, len(parts)):
            init = REPOSITORY_ROOT.joinpath(*parts[:depth], "__init__.py")
            files[init.relative_to(REPOSITORY_ROOT).as_posix()] = init
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            if "__pycache__" not in path.parts:
                files[path.relative_to(REPOSITORY_ROOT).as_posix()] = path
    return files


def glue_bundle(name: str, script: Path, packages: Sequence[str]) -> Path:
    """A Glue job's files: its script, and ``libraries.zip`` (for ``--extra-py-files``)
    holding ``packages`` at their import paths, with their parents' ``__init__.py``.

    Args:
        name: the bundle's folder under ``build/glue/``.
        script: the job script Glue runs.
        packages: dotted names of the repository's packages the script imports.
    """
    target = BUILD_ROOT / "glue" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copyfile(script, target / script.name)
    files = _repository_files(packages)
    with zipfile.ZipFile(target / GLUE_LIBRARIES_ZIP, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_TIMESTAMP)
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[arcname].read_bytes(), zipfile.ZIP_DEFLATED)
    return target
