"""Reading synthesized cloud assemblies: their stacks, accounts and templates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"


@dataclass(frozen=True)
class SynthesizedStack:
    """One stack of a cloud assembly."""

    stack_name: str
    construct_path: str
    account: str
    region: str
    template_file: Path

    @property
    def template(self) -> dict[str, Any]:
        """The CloudFormation template, parsed."""
        return json.loads(self.template_file.read_text(encoding="utf-8"))


def stacks(outdir: Path) -> list[SynthesizedStack]:
    """Every stack of the assembly in ``outdir``, nested stage assemblies included."""
    return list(_walk(Path(outdir)))


def _walk(directory: Path) -> Iterator[SynthesizedStack]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    artifacts = manifest.get("artifacts", {})
    nested = []
    for artifact_id, artifact in artifacts.items():
        properties = artifact.get("properties", {})
        if artifact["type"] == STACK_ARTIFACT:
            account, region = artifact["environment"].removeprefix("aws://").split("/")
            yield SynthesizedStack(
                stack_name=properties.get("stackName", artifact_id),
                construct_path=artifact.get("displayName", artifact_id),
                account=account,
                region=region,
                template_file=directory / properties["templateFile"],
            )
        elif artifact["type"] == NESTED_ASSEMBLY:
            nested.append(directory / properties["directoryName"])
    for assembly in nested:
        yield from _walk(assembly)
