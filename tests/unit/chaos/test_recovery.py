"""The chaos run's recovery comes back, round after round, while a round ran commands or an
input is not accounted for yet, and stops once all are (or after its last round)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from shared.chaos import run
from shared.chaos.workload import ChaosInput, ChaosWorkload, Outcome, Verdict

ITEM = ChaosInput("probe", "probe input", "job-1", {"rows": 3})


@dataclass
class Clock:
    def seconds(self, local: float) -> float:
        return 0.0


@dataclass
class Stage:
    """What the recovery uses of a local stage: its clock, its session, its settling."""

    clock: Clock = field(default_factory=Clock)
    session: object = None

    def wait(self, timeout: float) -> None:
        return None

    def fire_settle_schedules(self) -> list[str]:
        return []


class SettlesLater(ChaosWorkload):
    """An input that stays unaccounted for (a claim not yet stale) for ``quiet`` rounds, then
    is failed by its sweeper, retried by the next round and processed."""

    application: ClassVar[str] = "probe"
    kind: ClassVar[str] = "probe input"
    weight: ClassVar[int] = 1

    def __init__(self, quiet: int) -> None:
        self.quiet, self.rounds, self.failed, self.retried = quiet, 0, False, False

    def feed(self, stage: Any, rng: Any, count: int) -> Sequence[ChaosInput]:
        return (ITEM,)

    def recover(self, stage: Any, inputs: Sequence[ChaosInput]) -> Sequence[str]:
        self.rounds += 1
        if self.failed and not self.retried:
            self.retried = True
            return ("retry job-1",)
        self.failed = self.rounds >= self.quiet
        return ()

    def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
        outcome = Outcome.PROCESSED if self.retried else Outcome.LOST
        return [Verdict(item, outcome) for item in inputs]


@pytest.mark.parametrize("quiet", [1, 3])
def test_recovery_comes_back_until_every_input_is_accounted_for(quiet):
    workload = SettlesLater(quiet)
    commands = run.recover(Stage(), [(workload, (ITEM,))])
    assert commands == ["retry job-1"]
    assert workload.rounds == quiet + 2
    assert workload.audit(None, (ITEM,))[0].outcome is Outcome.PROCESSED


def test_recovery_gives_up_after_its_last_round():
    workload = SettlesLater(quiet=run.RECOVERY_ROUNDS + 5)
    assert run.recover(Stage(), [(workload, (ITEM,))]) == []
    assert workload.rounds == run.RECOVERY_ROUNDS
