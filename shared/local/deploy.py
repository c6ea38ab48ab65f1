"""Deploys a stage's cloud assemblies into the local AWS, as the pipeline deploys them to the
stage account: file assets published to the bootstrap bucket, then every stack's resources
created in dependency order by the provider of their type (``resource_types``)."""

from __future__ import annotations

import functools
import io
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from shared.deployability.stage_templates import Resource, StageTemplates, UnresolvedValueError
from shared.local.providers.base import DeployContext, Properties
from shared.local.providers.storage import bucket_location
from shared.local.resource_types import Handling, support
from shared.local.stage_assembly import FileAsset, StageAssembly
from shared.local.template_walker import Created, DeployedTemplates, LocalDeployError

ZIP_PACKAGING = "zip"


@dataclass
class Coverage:
    """What became of the stage's template resources."""

    stage: str
    handled: Counter[str] = field(default_factory=Counter)
    not_emulated: Counter[str] = field(default_factory=Counter)
    unapplied: Counter[str] = field(default_factory=Counter)

    @property
    def resources(self) -> int:
        return sum(self.handled.values())

    def line(self) -> str:
        """``stage dev: N template resources: X in the local AWS, Y run locally, Z not
        emulated (AWS::CloudWatch::Alarm x9, ...)``."""
        skipped = ", ".join(f"{t} x{n}" for t, n in sorted(self.not_emulated.items()))
        return (
            f"stage {self.stage}: {self.resources} template resources: "
            f"{self.handled[Handling.LOCAL_AWS]} in the local AWS, "
            f"{self.handled[Handling.RUNTIME]} run locally, "
            f"{self.handled[Handling.NOT_EMULATED]} not emulated"
            + (f" ({skipped})" if skipped else "")
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "resources": self.resources,
            "local_aws": self.handled[Handling.LOCAL_AWS],
            "runtime": self.handled[Handling.RUNTIME],
            "not_emulated": dict(sorted(self.not_emulated.items())),
        }


@dataclass
class DeployedStage:
    """The stage as deployed locally: its templates with what each resource became."""

    templates: DeployedTemplates
    coverage: Coverage
    context: DeployContext

    def redeploy(self, resource_type: str, name: str) -> None:
        """Create the template resource of ``resource_type`` called ``name`` again, as the
        template says (after a test or an operator deleted it)."""
        resource = self.templates.resource_named(resource_type, name)
        _create(self.context, resource)
        _finish_stack(self.context, resource.stack.stack_name)

    def of_type(self, resource_type: str) -> list[tuple[Resource, Created]]:
        return [
            (r, self.templates.created[r.path])
            for r in self.templates.of_type(resource_type)
            if r.path in self.templates.created
        ]


def publish_assets(session: boto3.Session, assets: Sequence[FileAsset], region: str) -> None:
    """What ``cdk-assets`` does: each asset into its bucket (the bootstrap bucket, created
    here as ``cdk bootstrap`` creates it), directories zipped."""
    s3 = session.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for asset in {(a.bucket, a.key): a for a in assets}.values():
        if asset.bucket not in existing:
            s3.create_bucket(Bucket=asset.bucket, **bucket_location(region))
            existing.add(asset.bucket)
        body = _zipped(asset.source) if asset.packaging == ZIP_PACKAGING else asset.source
        s3.put_object(
            Bucket=asset.bucket,
            Key=asset.key,
            Body=body if isinstance(body, bytes) else body.read_bytes(),
        )


@functools.cache
def _zipped(directory: Path) -> bytes:
    """The asset directory zipped, once per process: an assembly's asset directories are named
    by their contents' hash, so each stage started from the same assembly reuses the archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def deploy_stage(
    session: boto3.Session,
    assembly: StageAssembly,
    *,
    stage: str,
    account: str,
    region: str,
    workdir: Path,
) -> DeployedStage:
    """Create every resource of the stage's templates in the local AWS (or hand it to the
    runtime, or count it not emulated).

    Raises:
        LocalDeployError: naming the resource that could not be created, and why.
    """
    publish_assets(session, assembly.assets, region)
    templates = DeployedTemplates(assembly.stacks)
    ctx = DeployContext(session, templates, account, region, Path(workdir))
    coverage = Coverage(stage)
    stack_name = None
    for resource in templates.resources_in_order():
        if resource.stack.stack_name != stack_name:
            _finish_stack(ctx, stack_name)
            stack_name = resource.stack.stack_name
        how = support(resource.type)
        coverage.handled[how.handling] += 1
        if how.provider is None:
            coverage.not_emulated[resource.type] += 1
            templates.record(resource, _named_only(templates, resource))
            continue
        for name in _create(ctx, resource):
            coverage.unapplied[f"{resource.type}.{name}"] += 1
    _finish_stack(ctx, stack_name)
    return DeployedStage(templates, coverage, ctx)


def _create(ctx: DeployContext, resource: Resource) -> list[str]:
    """Create one resource with its type's provider; the properties it did not apply."""
    provider = support(resource.type).provider
    assert provider is not None
    try:
        props = Properties(ctx.templates.resolve(dict(resource.properties), resource.stack))
        created = provider(ctx, resource, props)
    except (ClientError, BotoCoreError, UnresolvedValueError, KeyError, TypeError) as error:
        raise LocalDeployError(
            f"{resource.path} ({resource.type}) could not be created locally: "
            f"{type(error).__name__}: {error}"
        ) from error
    ctx.templates.record(resource, created)
    if resource.kind is not None and resource.kind.name is not None:
        props.read.add(resource.kind.name.split(".")[0])
    return props.unapplied()


def _finish_stack(ctx: DeployContext, stack_name: str | None) -> None:
    calls, ctx.at_stack_end = ctx.at_stack_end, []
    for call in calls:
        try:
            call()
        except ClientError as error:
            raise LocalDeployError(f"{stack_name}: {error}") from error


def _named_only(templates: DeployedTemplates, resource: Resource) -> Created:
    """A resource that is not created still answers ``Ref`` and ``Arn`` with its name, so
    that what refers to it (an alarm's topic, say) deploys."""
    try:
        ref = StageTemplates.ref(templates, resource)
        attributes = {"Arn": StageTemplates.arn(templates, resource)}
    except UnresolvedValueError:
        ref, attributes = templates.name(resource), {}
    return Created(ref, attributes)
