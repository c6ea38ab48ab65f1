"""ProcessLegislators on the platform: its settings, names, stack, runbook and command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from applications_repo.legislators.definition import definition
from applications_repo.legislators.names import LegislatorsNames
from applications_repo.legislators.settings import LegislatorsSettings
from shared.application import Definition
from shared.registry import AppContext, Application, DeclaredName

if TYPE_CHECKING:
    from aws_cdk import Stack

    from shared.stage import DeploymentStage


class Legislators(Application):
    """Glue's legislators example: persons, memberships and organizations joined into history."""

    name = "legislators"
    description = "persons + memberships + organizations -> ProcessLegislators -> history table"
    settings_model = LegislatorsSettings
    docs_page = "docs/legislators.md"

    def definition(self, context: AppContext) -> Definition:
        return definition(context.naming, context.app)

    def names(self, context: AppContext) -> Sequence[DeclaredName]:
        return LegislatorsNames(context.naming).declared()

    def build(self, stage: DeploymentStage, context: AppContext) -> Sequence[Stack]:
        from applications_repo.legislators.infrastructure import (  # noqa: PLC0415 (CDK)
            LegislatorsStack,
        )

        stack = LegislatorsStack(
            stage,
            "Legislators",
            stack_name=context.naming.application_stack(self.name),
            description=f"ProcessLegislators ({context.stage} stage).",
            context=context,
        )
        return (stack,)

    def runbook(self, context: AppContext) -> Sequence[tuple[str, str]]:
        job = LegislatorsNames(context.naming).job
        return (
            (
                "list recent ProcessLegislators runs",
                f"aws glue get-job-runs --job-name {job} --max-items 10",
            ),
        )

    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:
        from applications_repo.legislators.commands import register  # noqa: PLC0415

        register(subparsers)


LEGISLATORS = Legislators()
