"""The application contract, and the one place applications are registered.

An application is a folder of ``applications_repo/`` holding one :class:`Application`: its
settings model, its names, its stacks, what it runs (jobs, handlers, samples), its alarms, its
runbook commands, its ``gdp`` subcommands and its docs page. ``applications_repo/registry.py``
lists them, one line each; the platform (stages, monitoring, the local run, the docs and
diagram generators, the CLI) knows applications only through :func:`registered`.

``GDP_EXTRA_APPLICATIONS`` (``package.module:ATTRIBUTE``, comma-separated) adds applications
from outside the repository's registry, to try one out before registering it.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from shared.application import Definition, load_object
from shared.config import PlatformConfig, Settings, StageName, StageSettings
from shared.metrics import NAMESPACE
from shared.naming import APP_STACKS, AppName, Concern, StageNaming

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from aws_cdk import Stack

    from shared.assembly import SynthesizedStack
    from shared.chaos.workload import ChaosWorkload
    from shared.stage import DeploymentStage

REGISTRY = "applications_repo.registry:APPLICATIONS"
"""A tuple of ``package.module:ATTRIBUTE`` strings, one line per application."""
EXTRA_ENV_VAR = "GDP_EXTRA_APPLICATIONS"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


class NoSettings(Settings):
    """An application without settings of its own."""


@dataclass(frozen=True)
class AppContext:
    """What an application gets for one stage: the platform's names and settings, and its
    own settings section resolved for that stage."""

    config: PlatformConfig
    naming: StageNaming
    settings: StageSettings
    app: Any

    @property
    def stage(self) -> StageName:
        return self.naming.stage


@dataclass(frozen=True)
class DeclaredName:
    """A physical name an application gives a resource (checked unique and valid)."""

    kind: str
    name: str


@dataclass(frozen=True)
class Widget:
    """A graph of an application's own metrics on the stage's dashboard: ``metrics`` are
    ``(metric name, dimensions)`` pairs of the platform's namespace (or of ``namespace``, an
    AWS service's such as ``AWS/States``), each summed over ``period_minutes``."""

    title: str
    metrics: tuple[tuple[str, Mapping[str, str]], ...]
    namespace: str = NAMESPACE
    period_minutes: int = 5


@dataclass(frozen=True)
class RatioAlarm:
    """An application's own alarm: ``numerator`` over ``denominator`` (platform metrics with
    their dimensions), in percent, above ``threshold`` over the stage's evaluation window."""

    subject: str
    what: str
    numerator: tuple[str, Mapping[str, str]]
    denominator: tuple[str, Mapping[str, str]]
    threshold: float
    description: str


@dataclass(frozen=True)
class ThresholdAlarm:
    """An application's own alarm on one metric (with its dimensions): its ``statistic``
    over ``minutes`` above ``threshold``. The metric is the platform's unless ``namespace``
    names an AWS service's (``AWS/DynamoDB``)."""

    subject: str
    what: str
    metric: tuple[str, Mapping[str, str]]
    statistic: str
    minutes: int
    threshold: float
    description: str
    namespace: str = NAMESPACE


@dataclass(frozen=True)
class InputState:
    """What an application's own records (a tracking table) say became of one input, for
    the local run's summary.

    Attributes:
        state: the input's state, as the application names it (``COMPLETED``).
        run_id: the job run that processed it.
        rows_read, rows_written, rows_rejected: its rows, where they are counted.
        output: where its rows went (a key of the output bucket).
        note: what else there is to know (its statuses, its reason).
        batch: the batch it went with (a manifest's key).
        record: the application's own record of it (a tracking item), for ``--json``.
        failed: it failed.
        in_flight: it is still on its way (waiting for its batch, being processed).
    """

    state: str
    run_id: str = ""
    rows_read: int | None = None
    rows_written: int | None = None
    rows_rejected: int | None = None
    output: str = ""
    note: str = ""
    batch: str = ""
    record: Mapping[str, Any] = field(default_factory=dict)
    failed: bool = False
    in_flight: bool = False


class Application(ABC):
    """One application of ``applications_repo/``; subclasses fill in the hooks."""

    name: ClassVar[str]
    """Lower-case, hyphenated (``my-app``): its config section and stack name."""
    description: ClassVar[str]
    settings_model: ClassVar[type[Settings]] = NoSettings
    docs_page: ClassVar[str | None] = None
    """Its page, relative to the repository root."""
    resource_types: ClassVar[tuple[str, ...]] = ()
    """CloudFormation types its stacks use beyond the platform's (``shared.bootstrap``): the
    execution policy is derived for them too."""
    builds_on: ClassVar[tuple[str, ...]] = ()
    """Applications whose code it imports (a job, a table's rules), registered before it; it
    deploys its own instances of them. No application imports another it does not name."""

    def context(self, config: PlatformConfig, stage: StageName | str) -> AppContext:
        """The application's view of one stage."""
        stage = StageName(stage)
        return AppContext(
            config=config,
            naming=StageNaming.of(config, stage),
            settings=config.stages.get(stage),
            app=config.application_settings(stage, self.name),
        )

    @abstractmethod
    def definition(self, context: AppContext) -> Definition:
        """What it runs in the stage: jobs, handlers, samples."""

    @abstractmethod
    def names(self, context: AppContext) -> Sequence[DeclaredName]:
        """Every physical name it gives a resource."""

    @abstractmethod
    def build(self, stage: DeploymentStage, context: AppContext) -> Sequence[Stack]:
        """Add its stacks to the applications app's ``stage``; returns them."""

    def alarms(self, context: AppContext) -> Sequence[RatioAlarm | ThresholdAlarm]:
        """Alarms of its own, beside the ones the platform gives every job and function."""
        return ()

    def widgets(self, context: AppContext) -> Sequence[Widget]:
        """Graphs of its own metrics for the dashboard, beside the platform's."""
        return ()

    def runbook(self, context: AppContext) -> Sequence[tuple[str, str]]:
        """``(what, command)`` pairs for the operations runbook."""
        return ()

    def input_state(
        self, context: AppContext, session: Any, bucket: str, key: str, version_id: str | None
    ) -> InputState | None:
        """What became of an object put in one of its input buckets, read from the stage
        through ``session``; ``None`` when the run its handler started tells (the default)."""
        return None

    def chaos(self, context: AppContext) -> Sequence[ChaosWorkload]:
        """Its inputs for the chaos run (``gdp chaos``), each kind with its recovery and its
        audit; none by default."""
        return ()

    def diagrams(
        self, context: AppContext, stacks: Sequence[SynthesizedStack], directory: Path
    ) -> list[Path]:
        """Draw its own diagrams into ``directory`` (``make diagrams``), from its code and the
        applications app's synthesized ``stacks``; their paths. None by default."""
        return []

    def register_commands(self, subparsers: argparse._SubParsersAction) -> None:  # noqa: B027
        """Add its ``gdp`` subcommands (none by default)."""


class RegistryError(LookupError):
    """The registry names something that is not a valid application."""


@cache
def _registered(extra: str) -> tuple[Application, ...]:
    dotted = [*load_object(REGISTRY), *(d.strip() for d in extra.split(",") if d.strip())]
    found: list[Application] = [load_object(name) for name in dotted]
    names = [app.name for app in found]
    for app in found:
        if not isinstance(app, Application):
            raise RegistryError(f"{app!r} is not an Application")
        if not NAME_PATTERN.fullmatch(app.name):
            raise RegistryError(f"application name {app.name!r} is not lower-case-hyphenated")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RegistryError(f"applications registered twice: {', '.join(duplicates)}")
    for index, app in enumerate(found):
        earlier = names[:index]
        missing = [name for name in app.builds_on if name not in earlier]
        if missing:
            raise RegistryError(
                f"{app.name} builds on {', '.join(missing)}, which must be registered before it"
            )
    return tuple(found)


def registered() -> tuple[Application, ...]:
    """Every registered application, in registration order."""
    return _registered(os.environ.get(EXTRA_ENV_VAR, ""))


def definitions(config: PlatformConfig, stage: StageName | str) -> list[Definition]:
    """What every registered application runs in ``stage``."""
    return [app.definition(app.context(config, stage)) for app in registered()]


def stage_stacks(config: PlatformConfig, app: AppName, stage: StageName | str) -> list[str]:
    """The stacks ``app`` deploys into ``stage``, in deployment order: the infrastructure's
    (the audit stack only where the stage has a trail), or one per registered application
    followed by the applications app's own."""
    naming = StageNaming.of(config, stage)
    own = [
        naming.stack_name(app, concern)
        for concern in APP_STACKS[app]
        if concern is not Concern.AUDIT or config.stages.get(naming.stage).audit.trail
    ]
    if app is AppName.APPLICATIONS:
        return [naming.application_stack(a.name) for a in registered()] + own
    return own
