"""The cloud assemblies of one stage account: each CDK app's stage for that account, as its
pipeline deploys it, synthesized without the pipeline around it (a test holds the templates
equal to the pipeline's). ``python -m shared.local.stage_assembly STAGE OUTDIR`` is the
synth; ``synthesize_stage`` runs it in a child process, so the caller keeps going meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.assembly import SynthesizedStack
from shared.config import (
    CONFIG_ENV_VAR,
    REPOSITORY_ROOT,
    StageName,
    load_config,
    resolve_config_path,
)
from shared.errors import PlatformError
from shared.naming import AppName, PipelineNaming
from shared.registry import EXTRA_ENV_VAR
from shared.synthesis import ASSEMBLY_DIR

if TYPE_CHECKING:
    from shared.pipeline import Delivery

DEPLOYMENT_ORDER = (AppName.INFRASTRUCTURE, AppName.APPLICATIONS)
"""The applications find the infrastructure's resources by name: it deploys first."""
SYNTH_INPUT_FOLDERS = ("shared", "applications_repo", "infrastructure_repo")
SYNTH_INPUT_SUFFIXES = frozenset({".py", ".json", ".yaml", ".yml", ".txt", ".md", ".csv"})
LOCK_FILES = ("requirements.lock", "package-lock.json", "pyproject.toml")
GENERATED_DIRS = frozenset({ASSEMBLY_DIR, "node_modules", "dist", "__pycache__"})
"""Made by builds and runs, never by hand, and no template is made from them: a web UI's npm
packages and build, under an application's folder, must not change the digest while a run
builds them."""
DIGEST_CHARS = 16
KEPT_ASSEMBLIES = 3
BUILDING = ".building-"
STACK_ARTIFACT = "aws:cloudformation:stack"
ASSET_MANIFEST = "cdk:asset-manifest"


class StageSynthError(PlatformError):
    """The stage's apps did not synthesize."""


@dataclass(frozen=True)
class FileAsset:
    """One file asset: where it is in the assembly, where deployment puts it."""

    source: Path
    packaging: str
    bucket: str
    key: str


@dataclass(frozen=True)
class StageAssembly:
    """The stage's stacks in deployment order, and the file assets they need."""

    stacks: list[SynthesizedStack]
    assets: list[FileAsset]

    def has(self, resource_type: str) -> bool:
        """Whether any template of the stage has a resource of ``resource_type``."""
        return any(
            body["Type"] == resource_type
            for stack in self.stacks
            for body in stack.template.get("Resources", {}).values()
        )


def delivery(app: AppName) -> Delivery:
    """An app's ``Delivery``: its ``<folder>/stage.py`` defines ``DELIVERY``."""
    return import_module(f"{app.folder}.stage").DELIVERY


def synthesize_stage(
    stage: StageName, outdir: Path, *, config_path: str | None = None
) -> subprocess.Popen[str]:
    """Start synthesizing ``stage``'s apps into ``outdir``; ``read_stage`` reads the result
    once the process has ended."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    if config_path:
        env[CONFIG_ENV_VAR] = str(Path(config_path).resolve())
    return subprocess.Popen(
        [sys.executable, "-m", __name__, stage.value, str(outdir)],
        cwd=REPOSITORY_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def synth_inputs_digest(config_path: str | None = None) -> str | None:
    """A digest of everything a stage's templates are made from: the apps' and the
    platform's code, the config, the feature flags and the lock files. ``None`` when an
    application from outside the repository is registered (its files are not known here)."""
    if os.environ.get(EXTRA_ENV_VAR):
        return None
    digest = hashlib.sha256()
    files = [
        path
        for folder in SYNTH_INPUT_FOLDERS
        for path in (REPOSITORY_ROOT / folder).rglob("*")
        if path.is_file()
        and path.suffix in SYNTH_INPUT_SUFFIXES
        and GENERATED_DIRS.isdisjoint(path.relative_to(REPOSITORY_ROOT).parts)
    ]
    files += [REPOSITORY_ROOT / name for name in LOCK_FILES]
    files.append(resolve_config_path(config_path).resolve())
    for path in sorted(files):
        name = path.relative_to(REPOSITORY_ROOT) if path.is_relative_to(REPOSITORY_ROOT) else path
        digest.update(str(name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:DIGEST_CHARS]


def cached_stage(
    stage: StageName, cache: Path, scratch: Path, *, config_path: str | None = None
) -> StageAssembly:
    """The stage's assembly from ``cache/<stage>-<digest>/``, synthesized there first unless
    an earlier run left it (``make run`` again without a change synthesizes nothing); into
    ``scratch`` when the inputs cannot be digested."""
    digest = synth_inputs_digest(config_path)
    if digest is None:
        process = synthesize_stage(stage, scratch, config_path=config_path)
        return read_stage(process, stage, scratch)
    outdir = cache / f"{stage.value}-{digest}"
    if not (outdir / "manifest.json").is_file():
        building = cache / f"{outdir.name}{BUILDING}{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        read_stage(synthesize_stage(stage, building, config_path=config_path), stage, building)
        try:
            building.rename(outdir)
        except OSError:  # another run finished the same assembly first: use that one
            shutil.rmtree(building, ignore_errors=True)
        finished = [p for p in cache.glob(f"{stage.value}-*") if BUILDING not in p.name]
        for old in sorted(finished, key=lambda p: p.stat().st_mtime)[:-KEPT_ASSEMBLIES]:
            shutil.rmtree(old, ignore_errors=True)
    directories = pipeline_stage_directories(dict.fromkeys(DEPLOYMENT_ORDER, outdir), stage)
    return read_assemblies(directories)


def read_stage(process: subprocess.Popen[str], stage: StageName, outdir: Path) -> StageAssembly:
    """Wait for ``synthesize_stage``'s process; the stage's assembly.

    Raises:
        StageSynthError: with the synth's last lines of error output.
    """
    _, stderr = process.communicate()
    if process.returncode != 0:
        tail = [line for line in stderr.strip().splitlines() if line.strip()][-15:]
        raise StageSynthError("the stage's apps did not synthesize:\n  " + "\n  ".join(tail))
    directories = pipeline_stage_directories(dict.fromkeys(DEPLOYMENT_ORDER, outdir), stage)
    return read_assemblies(directories)


def pipeline_stage_directories(outdirs: dict[AppName, Path], stage: StageName) -> list[Path]:
    """The stage's nested assemblies inside each app's pipeline assembly (``cdk synth``'s
    output), in deployment order."""
    return [
        Path(outdirs[app])
        / f"assembly-{PipelineNaming(app).stack_id}-{PipelineNaming(app).stage_id(stage)}"
        for app in DEPLOYMENT_ORDER
    ]


def read_assemblies(directories: list[Path]) -> StageAssembly:
    """The stacks and assets of the stage's assemblies, deployed in the order given."""
    stacks: list[SynthesizedStack] = []
    assets: list[FileAsset] = []
    for directory in directories:
        app_stacks, app_assets = _read_assembly(directory)
        stacks += app_stacks
        assets += app_assets
    return StageAssembly(stacks, assets)


def _read_assembly(directory: Path) -> tuple[list[SynthesizedStack], list[FileAsset]]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    artifacts: dict[str, Any] = manifest["artifacts"]
    order: list[str] = []

    def place(artifact_id: str) -> None:
        if artifact_id in order:
            return
        for needed in artifacts[artifact_id].get("dependencies", []):
            place(needed)
        order.append(artifact_id)

    for artifact_id in artifacts:
        place(artifact_id)
    stacks, assets = [], []
    for artifact_id in order:
        artifact = artifacts[artifact_id]
        properties = artifact.get("properties", {})
        if artifact["type"] == STACK_ARTIFACT:
            account, region = artifact["environment"].removeprefix("aws://").split("/")
            stacks.append(
                SynthesizedStack(
                    stack_name=properties.get("stackName", artifact_id),
                    construct_path=artifact.get("displayName", artifact_id),
                    account=account,
                    region=region,
                    template_file=directory / properties["templateFile"],
                )
            )
        elif artifact["type"] == ASSET_MANIFEST:
            assets += _file_assets(directory / properties["file"])
    return stacks, assets


def _file_assets(manifest_file: Path) -> list[FileAsset]:
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    found = []
    for asset in manifest.get("files", {}).values():
        source = (manifest_file.parent / asset["source"]["path"]).resolve()
        for destination in asset["destinations"].values():
            found.append(
                FileAsset(
                    source,
                    asset["source"]["packaging"],
                    destination["bucketName"],
                    destination["objectKey"],
                )
            )
    return found


def main(argv: list[str]) -> None:
    """Synthesize every app's stage for one stage account at the construct path its pipeline
    gives it (so that every logical id is the same), without the pipeline stack itself and
    without cdk-nag: the pipeline's synth is where the gates run."""
    from aws_cdk import App  # noqa: PLC0415 (the CDK loads in the synth process only)
    from constructs import Construct  # noqa: PLC0415

    from shared.cdk_app import feature_flags  # noqa: PLC0415

    stage, outdir = StageName(argv[0]), argv[1]
    config = load_config(None)
    app = App(context=feature_flags(), outdir=outdir)
    for app_name in DEPLOYMENT_ORDER:
        names = PipelineNaming(app_name)
        delivery(app_name).stage_factory(
            Construct(app, names.stack_id), names.stage_id(stage), config=config, stage=stage
        )
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1:])
