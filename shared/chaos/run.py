"""``gdp chaos``: every application fed at once on the local stage while the runtime injects
faults at seeded points, then the operator's recovery, then an audit of every input.

1. The dev stage is deployed from its templates (``shared.local.stage``).
2. The inputs are split over the applications' workloads (``Application.chaos``) by weight
   and fed, while the fault plan (``shared.local.faults``) is in force.
3. Time passes until the stage is quiet (the settle schedules, such as sweepers, fire).
4. The faults stop and each workload's recovery runs, as an operator runs it, until the
   stage is quiet again.
5. Each workload audits its inputs from what the stage holds; the run prints one line,
   ``chaos: N inputs, faults F, processed P, rejected R, quarantined Q, dead-lettered D,
   lost L, duplicated U``, and fails when anything is lost or duplicated.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

from shared.chaos.workload import ACCOUNTED, ChaosInput, ChaosWorkload, Outcome, Verdict
from shared.config import PlatformConfig, StageName
from shared.local import faults
from shared.local.clock import LocalClock
from shared.local.faults import Fault, FaultPlan
from shared.local.stage import LocalStage
from shared.local.stage_assembly import StageAssembly
from shared.registry import registered

CLOCK = LocalClock(speed=60)
"""Lambda's back-off of one and two minutes takes one and two seconds, an event's six hours
of maximum age six minutes (a burst of a thousand uploads is not aged out), a visibility
timeout of five minutes five seconds."""
RATES: Mapping[Fault, float] = {
    Fault.GLUE_FAILED: 0.15,
    Fault.GLUE_TIMEOUT: 0.15,
    Fault.GLUE_REFUSED: 0.2,
    Fault.LAMBDA_ERROR: 0.03,
    Fault.LAMBDA_TIMEOUT: 0.03,
    Fault.LAMBDA_THROTTLED: 0.03,
    Fault.DYNAMODB_THROTTLED: 0.02,
    Fault.DYNAMODB_RACE: 0.03,
    Fault.S3_TRANSIENT: 0.005,
    Fault.EVENT_TWICE: 0.04,
    Fault.EVENT_LATE: 0.03,
    Fault.EVENT_REORDERED: 0.03,
    Fault.SQS_REDELIVERED: 0.05,
    Fault.API_THROTTLED: 0.15,
    Fault.API_FAILING: 0.15,
}
"""Each fault's probability at each occasion for it (an invocation, a run, a request): Glue
runs and API pages are few (a batch, a date), so theirs are higher."""
SETTLE_ROUNDS = 3
SETTLE_PAUSE_SECONDS = 120.0
"""After the stage goes quiet, time passes (two minutes of the local clock) and the settle
schedules (batch shipping, sweepers) fire, this many times."""
RECOVERY_ROUNDS = 8
RECOVERY_PAUSE_SECONDS = 1800.0
"""Between two rounds of recovery, half an hour passes (the local clock), as when an operator
comes back later: what a run that died held (a lease, a claim on a date) goes stale, and a
sweeper fails a run that never started once past its threshold (two hours at most in the
settings), for a later round to retry it."""
WAIT_SECONDS = 3600.0
REPORT_FILE = "chaos-report.json"

Progress = Callable[[str], None]
Fed = tuple[ChaosWorkload, Sequence[ChaosInput]]


@dataclass(frozen=True)
class ChaosReport:
    """What a chaos run found."""

    seed: int
    verdicts: tuple[Verdict, ...]
    faults: Mapping[str, Any]
    recovery: tuple[str, ...]
    seconds: float
    """The whole run, deployment included."""
    processing_seconds: float = 0.0
    """From the first input fed to the stage going quiet (before the recovery), less the
    settle rounds' pauses for the clock."""

    @property
    def tally(self) -> Counter[Outcome]:
        return Counter(v.outcome for v in self.verdicts)

    @property
    def injected(self) -> int:
        return sum(self.faults["injected"].values())

    @property
    def passed(self) -> bool:
        return not (self.tally[Outcome.LOST] or self.tally[Outcome.DUPLICATED])

    def line(self) -> str:
        """The audit's one line."""
        t = self.tally
        return (
            f"chaos: {len(self.verdicts)} inputs, faults {self.injected}, "
            f"processed {t[Outcome.PROCESSED]}, rejected {t[Outcome.REJECTED]}, "
            f"quarantined {t[Outcome.QUARANTINED]}, dead-lettered {t[Outcome.DEAD_LETTERED]}, "
            f"lost {t[Outcome.LOST]}, duplicated {t[Outcome.DUPLICATED]}"
        )

    def to_json(self) -> dict[str, Any]:
        by_application: dict[str, Counter[str]] = {}
        for verdict in self.verdicts:
            key = f"{verdict.input.application} {verdict.input.kind}"
            by_application.setdefault(key, Counter())[verdict.outcome.value] += 1
        return {
            "seed": self.seed,
            "line": self.line(),
            "seconds": round(self.seconds, 1),
            "processing_seconds": round(self.processing_seconds, 1),
            "faults": self.faults,
            "recovery": list(self.recovery),
            "inputs": {key: dict(counts) for key, counts in by_application.items()},
            "not_processed": [v.line() for v in self.verdicts if v.outcome != Outcome.PROCESSED],
        }


def split(total: int, workloads: Sequence[ChaosWorkload]) -> list[int]:
    """``total`` inputs shared by weight, each workload within its limit and with at least one
    (when there are as many inputs as workloads); what rounding leaves goes to the heaviest
    that has room, what is over is taken from the heaviest."""
    weights = sum(w.weight for w in workloads)
    floor = 1 if total >= len(workloads) else 0
    counts = [min(max(floor, total * w.weight // weights), w.limit or total) for w in workloads]
    heaviest = sorted(range(len(workloads)), key=lambda i: -workloads[i].weight)
    for index in heaviest:
        room = (workloads[index].limit or total) - counts[index]
        counts[index] += max(0, min(room, total - sum(counts)))
        counts[index] -= max(0, min(counts[index] - floor, sum(counts) - total))
    return counts


def run_chaos(
    config: PlatformConfig,
    *,
    seed: int,
    inputs: int,
    workdir: Path,
    progress: Progress = lambda line: None,
    rates: Mapping[Fault, float] = RATES,
    apps: Sequence[str] = (),
    assembly: StageAssembly | None = None,
    assembly_cache: Path | None = None,
    clock: LocalClock = CLOCK,
) -> ChaosReport:
    """One chaos run on the dev stage (the inputs of the named applications only, when
    ``apps`` names some), on ``clock``; its report (also written to ``workdir``)."""
    started = time.monotonic()
    plan = FaultPlan(seed, rates)
    with LocalStage(
        config,
        StageName.DEV,
        workdir=workdir,
        progress=progress,
        assembly=assembly,
        clock=clock,
        assembly_cache=assembly_cache,
    ) as local:
        chosen = {definition.name for definition in local.selected(apps)}
        workloads = [
            workload
            for application in registered()
            if application.name in chosen
            for workload in application.chaos(application.context(config, StageName.DEV))
        ]
        fed: list[Fed] = []
        with faults.installed(plan):
            fed_at = time.monotonic()
            for workload, count in zip(workloads, split(inputs, workloads), strict=True):
                rng = Random(f"{seed}:{workload.application}:{workload.kind}")
                fed.append((workload, workload.feed(local, rng, count)))
                progress(f"chaos: fed {count} {workload.kind}s to {workload.application}")
            paused = _settle(local)
            processing = time.monotonic() - fed_at - paused
            plan.enabled = False
            progress(f"chaos: faults stop ({sum(plan.injected.values())} injected); recovery")
            recovery = recover(local, fed)
        verdicts = tuple(
            verdict for workload, given in fed for verdict in workload.audit(local.session, given)
        )
    report = ChaosReport(
        seed, verdicts, plan.report(), tuple(recovery), time.monotonic() - started, processing
    )
    (workdir / REPORT_FILE).write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


def recover(local: LocalStage, fed: Sequence[Fed]) -> list[str]:
    """The operator's recovery, in rounds: each workload's, then the stage left to settle;
    again after a pause while a round ran commands or an input is not accounted for yet (a
    claim a run left goes stale only past its sweeper's threshold), at most
    ``RECOVERY_ROUNDS`` times. The commands run, in order."""
    recovery: list[str] = []
    for round_number in range(RECOVERY_ROUNDS):
        if round_number:
            time.sleep(local.clock.seconds(RECOVERY_PAUSE_SECONDS))
        commands = [c for workload, given in fed for c in workload.recover(local, given)]
        recovery += commands
        _settle(local)
        if not commands and all(
            verdict.outcome in ACCOUNTED
            for workload, given in fed
            for verdict in workload.audit(local.session, given)
        ):
            break
    return recovery


def _settle(local: LocalStage) -> float:
    """Until the stage is quiet, with time passing for what waits on it (batches, sweeps); the
    seconds spent only waiting for that time to pass."""
    local.wait(timeout=WAIT_SECONDS)
    paused = 0.0
    for _ in range(SETTLE_ROUNDS):
        paused += local.clock.seconds(SETTLE_PAUSE_SECONDS)
        time.sleep(local.clock.seconds(SETTLE_PAUSE_SECONDS))
        if not local.fire_settle_schedules():
            break
        local.wait(timeout=WAIT_SECONDS)
    return paused
