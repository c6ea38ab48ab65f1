"""What an application gives the chaos run: inputs it can feed the local stage, the recovery
an operator runs for it, and an audit of what became of each input, read from the stage.

An application returns its workloads from ``Application.chaos``; the run (``shared.chaos.
run``) splits the inputs over them, injects the faults, recovers and audits. An audit reads
only what the stage holds (buckets, tables, queues, the catalog), never the runtime's records.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from random import Random
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from shared.local.stage import LocalStage


class Outcome(StrEnum):
    """What became of one input."""

    PROCESSED = "processed"
    """Its output is there, whole, once."""
    REJECTED = "rejected"
    """Refused with a reason the stage holds (its record, a rejects file)."""
    QUARANTINED = "quarantined"
    """Kept in the quarantine with its reason."""
    DEAD_LETTERED = "dead-lettered"
    """Waiting in a dead-letter queue, with the command that re-drives it."""
    LOST = "lost"
    """None of the above: no output, or only part of it, and no reason kept."""
    DUPLICATED = "duplicated"
    """Its output holds rows more than once."""


ACCOUNTED = (Outcome.PROCESSED, Outcome.REJECTED, Outcome.QUARANTINED, Outcome.DEAD_LETTERED)


@dataclass(frozen=True)
class ChaosInput:
    """One input the run fed the stage.

    Attributes:
        application: the application it went to.
        kind: what it is, in the report (a file, a request, an execution).
        ref: where it went (``s3://bucket/key``, a job id, an execution's date).
        expected: what the audit checks it against (its rows, its ids, whether it is bad).
    """

    application: str
    kind: str
    ref: str
    expected: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """What the audit found for one input: its outcome, the evidence (a reason, an output),
    and for a dead-lettered one the command that re-drives it."""

    input: ChaosInput
    outcome: Outcome
    detail: str = ""
    redrive: str = ""

    def line(self) -> str:
        redrive = f"; re-drive: {self.redrive}" if self.redrive else ""
        return f"{self.outcome.upper()} {self.input.kind} {self.input.ref}: {self.detail}{redrive}"


class ChaosWorkload(ABC):
    """One kind of input of an application, for the chaos run."""

    application: ClassVar[str]
    kind: ClassVar[str]
    """What one input is, in the report."""
    weight: ClassVar[int]
    """Its share of the run's inputs, relative to the other workloads'."""
    limit: ClassVar[int | None] = None
    """At most this many inputs (a scheduled execution is one per date), ``None``: any."""

    def upload(
        self, stage: LocalStage, bucket: str, key: str, body: bytes, expected: dict[str, Any]
    ) -> ChaosInput:
        """Put one file into ``bucket`` as a user would; the input, with its version id in
        ``expected["version"]``."""
        put = stage.session.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        expected["version"] = put.get("VersionId")
        return ChaosInput(self.application, self.kind, f"s3://{bucket}/{key}", expected)

    @abstractmethod
    def feed(self, stage: LocalStage, rng: Random, count: int) -> Sequence[ChaosInput]:
        """Put ``count`` inputs (some of them bad, as real ones are) into the stage, as users
        and schedules do; returns them. ``rng`` makes them the same for the same seed."""

    @abstractmethod
    def recover(self, stage: LocalStage, inputs: Sequence[ChaosInput]) -> Sequence[str]:
        """Run the recovery an operator runs (re-drives, retries, sweeps), with the
        platform's own tools; the commands, as the operator types them."""

    @abstractmethod
    def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
        """What became of each input, read through ``session`` from what the stage holds."""


def rows_verdict(item: ChaosInput, written: Counter[Any], rejected: Counter[Any]) -> Verdict:
    """The verdict on an output whose rows (by a value telling them apart) are ``written``
    and ``rejected``, against the ``rows`` the input had: each once, all of them."""
    rows, expected = sum(written.values()) + sum(rejected.values()), item.expected["rows"]
    if not expected:
        return Verdict(item, Outcome.LOST, "it should have been refused, with a reason")
    if any(count > 1 for count in (written + rejected).values()) or rows > expected:
        return Verdict(item, Outcome.DUPLICATED, f"{rows} rows out of {expected}")
    if rows < expected:
        return Verdict(item, Outcome.LOST, f"{rows} rows out of {expected}")
    return Verdict(
        item, Outcome.PROCESSED, f"{sum(written.values())} rows, {sum(rejected.values())} rejected"
    )
