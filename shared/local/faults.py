"""Faults the local runtime injects, at seeded random points, for the chaos run (``gdp chaos``).

Every part of the runtime asks the active :class:`FaultPlan` before doing what AWS does:
``decide(fault, key)`` says whether this occurrence fails. A decision is a function of the
seed, the fault, a key made from what is being done (a function and its event, a job and its
arguments, a request's path; ids, times and versions left out) and how many times that key
was asked before, so the same seed injects the same faults into the same inputs however the
runtime's threads interleave. Without a plan (every run but the chaos run) nothing is
injected.

An invocation or a run can also be *cut* mid-way: its thread's AWS calls are counted, and the
call past its budget stops it, as Lambda's or Glue's timeout kills what runs, with what it did
until then left done (:func:`cut_after`).
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore import client as botocore_client


class Fault(StrEnum):
    """Every kind of fault the runtime injects; the value is how the report names it."""

    GLUE_FAILED = "Glue run failed"
    GLUE_TIMEOUT = "Glue run timed out mid-way"
    GLUE_REFUSED = "Glue run refused (ConcurrentRunsExceededException)"
    LAMBDA_ERROR = "Lambda invocation raised"
    LAMBDA_TIMEOUT = "Lambda invocation timed out mid-way"
    LAMBDA_THROTTLED = "Lambda invocation throttled"
    DYNAMODB_THROTTLED = "DynamoDB write throttled"
    DYNAMODB_RACE = "conditional-check race (the same event handled twice at once)"
    S3_TRANSIENT = "S3 request failed transiently (503 SlowDown)"
    EVENT_TWICE = "event delivered twice"
    EVENT_LATE = "event delivered late"
    EVENT_REORDERED = "event delivered out of order"
    SQS_REDELIVERED = "SQS message redelivered after its visibility timeout"
    API_THROTTLED = "sample API burst of 429s"
    API_FAILING = "sample API burst of 5xx"


OBSERVED_RACES = "conditional checks that lost a race"
"""What the report counts beside the faults: the conditional writes that failed while a
race was on (evidence that the races happened, not faults injected)."""

VOLATILE_FIELDS = frozenset(
    {
        "id",
        "time",
        "timestamp",
        "version-id",
        "versionId",
        "VersionId",
        "sequencer",
        "etag",
        "eTag",
        "requestId",
        "request-id",
        "JobRunId",
        "jobRunId",
        "run_id",
        "receiptHandle",
        "messageId",
        "md5OfBody",
        "attributes",
        "approximateInvokeCount",
        "message",
    }
)
"""Fields of an event that differ between two deliveries of the same thing."""


def stable_key(*parts: Any) -> str:
    """A short digest of ``parts`` without their volatile fields (ids, times, versions)."""

    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    text = json.dumps([strip(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class FaultPlan:
    """Which faults happen, how often (a probability per occasion), from one seed.

    Attributes:
        seed: the run's seed.
        rates: each fault's probability at each occasion for it.
        enabled: faults are injected (off during recovery: the operator's tools run on a
            healthy stage).
        injected: how many of each fault were injected.
        observed: what the runtime saw happen because of them (``OBSERVED_RACES``).
    """

    seed: int
    rates: Mapping[Fault, float]
    enabled: bool = True
    injected: Counter[Fault] = field(default_factory=Counter)
    observed: Counter[str] = field(default_factory=Counter)
    _asked: Counter[tuple[Fault, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def decide(self, fault: Fault, key: str) -> bool:
        """Whether this occasion of ``fault`` for ``key`` fails (and count it if so)."""
        rate = self.rates.get(fault, 0.0)
        if not self.enabled or rate <= 0:
            return False
        with self._lock:
            occasion = self._asked[(fault, key)]
            self._asked[(fault, key)] += 1
            hit = self._random(fault, key, occasion).random() < rate
            if hit:
                self.injected[fault] += 1
        return hit

    def draw(self, fault: Fault, key: str, low: int, high: int) -> int:
        """A seeded whole number in ``[low, high]`` for an injected fault (a burst's length,
        a delay, a call budget)."""
        return self._random(fault, f"draw:{key}", 0).randint(low, high)

    def observe(self, what: str) -> None:
        with self._lock:
            self.observed[what] += 1

    def _random(self, fault: Fault, key: str, occasion: int) -> random.Random:
        return random.Random(f"{self.seed}:{fault.name}:{key}:{occasion}")

    def report(self) -> dict[str, Any]:
        """Every fault kind with how many were injected, and what was observed."""
        return {
            "seed": self.seed,
            "injected": {fault.value: self.injected[fault] for fault in Fault},
            "observed": dict(self.observed),
        }


_installed: list[FaultPlan] = []
"""The plan in force, while ``installed`` holds it."""


def active() -> FaultPlan | None:
    """The plan in force (``None``: no faults)."""
    return _installed[-1] if _installed else None


def decide(fault: Fault, key: str) -> bool:
    """Whether the active plan fails this occasion (never, without one)."""
    plan = active()
    return plan is not None and plan.decide(fault, key)


def draw(fault: Fault, key: str, low: int, high: int) -> int:
    """The active plan's ``draw`` (a plan must be active: a fault was decided)."""
    plan = active()
    assert plan is not None
    return plan.draw(fault, key, low, high)


class InvocationCut(BaseException):
    """An AWS call past the budget of a cut invocation or run: it stops there, as a timeout
    kills it. A ``BaseException``, so that the code's own ``except Exception`` cannot catch
    it, as it cannot catch its sandbox being stopped."""


_budget = threading.local()


@contextmanager
def cut_after(calls: int) -> Iterator[None]:
    """Within this thread, the AWS call after ``calls`` of them raises ``InvocationCut``."""
    _budget.left = calls
    try:
        yield
    finally:
        _budget.left = None


def _charge() -> None:
    left = getattr(_budget, "left", None)
    if left is None:
        return
    if left <= 0:
        raise InvocationCut("stopped mid-way by an injected timeout")
    _budget.left = left - 1


@contextmanager
def installed(plan: FaultPlan) -> Iterator[FaultPlan]:
    """``plan`` in force for the runtime of this process, until the block ends."""
    original = botocore_client.BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: Any) -> Any:
        _charge()
        return original(self, operation_name, api_params)

    _installed.append(plan)
    botocore_client.BaseClient._make_api_call = counted
    try:
        yield plan
    finally:
        botocore_client.BaseClient._make_api_call = original
        _installed.remove(plan)
