"""ProcessLegislators' resource names (spec 002), from the platform's naming rule."""

from __future__ import annotations

from dataclasses import dataclass

from shared.naming import NameKind, StageNaming
from shared.registry import DeclaredName


@dataclass(frozen=True)
class LegislatorsNames:
    """The names of ProcessLegislators in one stage."""

    naming: StageNaming

    @property
    def job(self) -> str:
        return self.naming.named("ProcessLegislators")

    def declared(self) -> tuple[DeclaredName, ...]:
        return (DeclaredName(NameKind.GLUE_JOB, self.job),)
