"""Schedules, on this machine: EventBridge Scheduler schedules and rules with a
``ScheduleExpression``, read from the local AWS. ``fire`` runs one now (what ``gdp run`` does
for each, as one of its inputs); with ``ticking``, ``rate(...)`` schedules also fire on their
own, on the local clock. A cron or ``at(...)`` schedule fires on demand only."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.local.clock import LocalClock
from shared.local.event_bus import LocalEventBridge
from shared.local.functions import LocalFunctions
from shared.local.targets import Targets, UnsupportedTargetError, service_of

RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}

UNIVERSAL_TARGET = "arn:aws:scheduler:::aws-sdk:"
SCHEDULED_TIME, EXECUTION_ID = "<aws.scheduler.scheduled-time>", "<aws.scheduler.execution-id>"

Progress = Callable[[str], None]


def with_context(text: str) -> str:
    """A target's input with the context attributes Scheduler fills in: the scheduled time
    (now: a schedule fired on demand is due now) and an execution id."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return text.replace(SCHEDULED_TIME, now).replace(EXECUTION_ID, str(uuid.uuid4()))


@dataclass(frozen=True)
class Schedule:
    """One schedule of the local AWS: a Scheduler schedule or a schedule rule."""

    name: str
    expression: str
    kind: str
    target: dict[str, Any]

    @property
    def period_seconds(self) -> float | None:
        """The period of a ``rate(...)`` expression."""
        match = RATE.fullmatch(self.expression)
        if match is None:
            return None
        return int(match.group(1)) * UNIT_SECONDS[match.group(2).rstrip("s")]


class LocalSchedules:
    """The local AWS's schedules, fired on demand or on the local clock."""

    def __init__(
        self,
        session: Any,
        bus: LocalEventBridge,
        functions: LocalFunctions,
        targets: Targets,
        *,
        clock: LocalClock,
        progress: Progress = lambda line: None,
    ) -> None:
        self.session = session
        self.scheduler, self.events = session.client("scheduler"), session.client("events")
        self.bus, self.functions, self.targets = bus, functions, targets
        self.clock, self.progress = clock, progress
        self.schedules: dict[str, Schedule] = {}
        self.fired: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, *, ticking: bool = False) -> LocalSchedules:
        for page in self.scheduler.get_paginator("list_schedules").paginate():
            for listed in page["Schedules"]:
                found = self.scheduler.get_schedule(
                    Name=listed["Name"], GroupName=listed.get("GroupName", "default")
                )
                if found.get("State", "ENABLED") == "ENABLED":
                    self.schedules[found["Name"]] = Schedule(
                        found["Name"], found["ScheduleExpression"], "schedule", found["Target"]
                    )
        for page in self.events.get_paginator("list_rules").paginate():
            for rule in page["Rules"]:
                if rule.get("ScheduleExpression") and rule.get("State") == "ENABLED":
                    self.schedules[rule["Name"]] = Schedule(
                        rule["Name"], rule["ScheduleExpression"], "rule", {}
                    )
        if ticking:
            self._thread = threading.Thread(target=self._tick, name="schedules", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def fire(self, name: str) -> None:
        """Run schedule ``name`` now, as its time had come."""
        schedule = self.schedules[name]
        self.fired.append(name)
        self.progress(f"schedule {name} ({schedule.expression}) fires")
        if schedule.kind == "rule":
            self.bus.fire(name)
            return
        arn = schedule.target["Arn"]
        payload = json.loads(with_context(schedule.target.get("Input") or "{}"))
        try:
            if service_of(arn) == "lambda":
                self.functions.invoke_async(arn, payload, source=f"schedule {name}")
            elif arn.startswith(UNIVERSAL_TARGET):
                self._call(arn, payload)
            else:
                self.targets.send(arn, payload)
        except UnsupportedTargetError as error:
            self.progress(f"schedule {name}: not delivered: {error}")

    def _call(self, arn: str, payload: dict[str, Any]) -> None:
        """A universal target (``arn:aws:scheduler:::aws-sdk:glue:startJobRun``): the API
        call, with the input as its parameters."""
        service, action = arn.removeprefix(UNIVERSAL_TARGET).split(":")
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        getattr(self.session.client(service), method)(**payload)

    def _tick(self) -> None:
        due = {
            name: time.monotonic() + self.clock.seconds(period)
            for name, schedule in self.schedules.items()
            if (period := schedule.period_seconds) is not None
        }
        while not self._stop.wait(0.05):
            now = time.monotonic()
            for name, at in due.items():
                if now >= at:
                    self.fire(name)
                    period = self.schedules[name].period_seconds or 0
                    due[name] = at + self.clock.seconds(period)
