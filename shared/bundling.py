"""Builds the code assets of Lambda functions and Glue jobs at synth time, without Docker.

Both are assembled from this repository and the synth environment (whose versions come from
``requirements.lock``) into ``build/``; the contents are deterministic, so the asset hashes
change only when the code does.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from shared.config import REPOSITORY_ROOT
from shared.errors import PlatformError

BUILD_ROOT = Path(os.environ.get("GDP_BUILD_ROOT") or REPOSITORY_ROOT / "build")
"""Where the functions' and jobs' code is staged for the CDK; ``GDP_BUILD_ROOT`` moves it
(each test worker stages its own, since a bundle is rebuilt in place)."""
LAYERS_ROOT = REPOSITORY_ROOT / "build" / "layers"
"""Built layers, by a digest of what they hold, written whole: shared by every build root."""
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "tests")
# Zip entries carry this timestamp so that identical code gives an identical archive.
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
GLUE_LIBRARIES_ZIP = "libraries.zip"
REPOSITORY_PACKAGES = ("applications_repo", "infrastructure_repo", "shared")
"""The repository's top-level packages: what a bundle takes from the repository."""
LOCK_FILE = REPOSITORY_ROOT / "requirements.lock"
LAYER_PLATFORM = "x86_64-manylinux_2_28"
"""The wheels a layer takes: x86_64 Lambda runs Amazon Linux 2023 (glibc 2.34)."""
LAYER_PRUNED = ("tests", "include")
LAYER_PRUNED_SUFFIXES = (".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc")
"""What a layer leaves out of its packages: their tests and what only compiling against
them needs (Lambda's 250 MB limit counts the unpacked layer)."""


def locked_versions(distributions: Sequence[str]) -> dict[str, str]:
    """``{"pyarrow": "26.0.1"}``: the versions ``requirements.lock`` pins.

    Raises:
        KeyError: naming the distributions the lock does not pin.
    """
    pins = dict(
        line.split(" ", 1)[0].split("==", 1)
        for line in LOCK_FILE.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    )
    missing = [d for d in distributions if d not in pins]
    if missing:
        raise KeyError(f"{LOCK_FILE.name} pins no version of {', '.join(missing)}")
    return {d: pins[d] for d in distributions}


def python_layer(distributions: Sequence[str], python_version: str) -> Path:
    """A Lambda layer (zip) of ``distributions`` at their locked versions, the wheels for
    Lambda's ``python_version`` on x86_64 (downloaded by uv from the package index once,
    then kept under ``build/layers/``, keyed by the versions, the Python and the platform).

    Each distribution is installed without its dependencies: list every one the code needs.

    Raises:
        PlatformError: when uv cannot get the wheels (no index, or none for that Python).
    """
    pins = [f"{name}=={version}" for name, version in locked_versions(distributions).items()]
    key = hashlib.sha256(json.dumps([pins, python_version, LAYER_PLATFORM]).encode()).hexdigest()
    layer = LAYERS_ROOT / f"{'-'.join(distributions)}-py{python_version}-{key[:12]}.zip"
    if layer.exists():
        return layer
    layer.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=layer.parent) as work:
        site = Path(work) / "python"
        command = [
            str(Path(sys.executable).parent / "uv"),
            *("pip", "install", "--quiet", "--no-deps", "--no-installer-metadata"),
            *("--no-compile-bytecode", "--only-binary", ":all:"),
            *("--python-platform", LAYER_PLATFORM, "--python-version", python_version),
            *("--target", str(site), *pins),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PlatformError(f"cannot build the layer of {', '.join(pins)}: {detail}")
        partial = Path(work) / "layer.zip"
        _zip_tree(Path(work), partial, keep=_kept_in_layer)
        partial.replace(layer)
    return layer


def _kept_in_layer(relative: Path) -> bool:
    return not (
        relative.name.startswith(".")
        or any(part in LAYER_PRUNED for part in relative.parts[2:])
        or relative.suffix in LAYER_PRUNED_SUFFIXES
    )


def _zip_tree(root: Path, archive_path: Path, *, keep: Callable[[Path], bool]) -> None:
    """The files under ``root`` (but the archive) as a deterministic zip: sorted entries,
    one timestamp, executable bits kept."""
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path != archive_path and keep(path.relative_to(root))
    )
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=FIXED_TIMESTAMP)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = mode << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)


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
    repository modules it imports, directly or not, at their import paths.

    Args:
        name: the bundle's folder under ``build/lambda/``.
        handler_module: the function's own source file.
        vendored: top-level packages to ship with it (pure Python, e.g. Powertools).
        modules: dotted names of repository modules or packages to ship whole (e.g.
            ``shared.quarantine``); what they and the handler import comes with them.
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
    for arcname, path in _repository_files(modules, [handler_module]).items():
        destination = target / arcname
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


def _repository_files(packages: Sequence[str], entry_points: Sequence[Path]) -> dict[str, Path]:
    """The source files of repository packages or modules and of every repository module they
    or the ``entry_points`` import, directly or not, with their parents' ``__init__``, keyed
    by their path relative to the repository.

    Imports are read from the sources (``if TYPE_CHECKING:`` blocks aside), so a module split
    out of one that a bundle lists still ships with it."""
    files: dict[str, Path] = {}
    pending = [source for entry in entry_points for source in _imported_repository_files(entry)]
    for package in packages:
        root = _package_root(package)
        pending.extend(sorted(root.rglob("*.py")) if root.is_dir() else [root])
    while pending:
        path = pending.pop()
        relative = path.resolve().relative_to(REPOSITORY_ROOT)
        key = relative.as_posix()
        if key in files or "__pycache__" in relative.parts:
            continue
        files[key] = path
        pending.extend(
            REPOSITORY_ROOT.joinpath(*relative.parts[:depth], "__init__.py")
            for depth in range(1, len(relative.parts))
        )
        pending.extend(_imported_repository_files(path))
    return files


def _imported_repository_files(path: Path) -> list[Path]:
    """The repository source files that ``path`` imports: modules, and packages' ``__init__``."""
    imported = repository_imports(path.read_text(encoding="utf-8"), str(path))
    return [source for name in imported if (source := module_source(name)) is not None]


def repository_imports(source: str, filename: str = "<source>") -> list[str]:
    """The dotted names under the repository's packages that Python ``source`` imports
    (``from a.b import c`` gives ``a.b`` and ``a.b.c``), but in ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(source, filename=filename)
    type_checking_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in type_checking_only:
            continue
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return [name for name in names if name.split(".", 1)[0] in REPOSITORY_PACKAGES]


def module_source(dotted: str) -> Path | None:
    """The file of a repository module or package, or None when ``dotted`` names neither (a
    class or function imported from one)."""
    base = REPOSITORY_ROOT.joinpath(*dotted.split("."))
    for source in (base.with_suffix(".py"), base / "__init__.py"):
        if source.is_file():
            return source
    return None


def glue_bundle(name: str, script: Path, packages: Sequence[str]) -> Path:
    """A Glue job's files: its script, and ``libraries.zip`` (for ``--extra-py-files``)
    holding ``packages`` and every repository module they or the script import, at their
    import paths, with their parents' ``__init__.py``.

    Args:
        name: the bundle's folder under ``build/glue/``.
        script: the job script Glue runs.
        packages: dotted names of repository packages or modules to ship whole.
    """
    target = BUILD_ROOT / "glue" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copyfile(script, target / script.name)
    files = _repository_files(packages, [script])
    with zipfile.ZipFile(target / GLUE_LIBRARIES_ZIP, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_TIMESTAMP)
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[arcname].read_bytes(), zipfile.ZIP_DEFLATED)
    return target
