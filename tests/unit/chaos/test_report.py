"""The chaos run's arithmetic: inputs shared by weight within limits, the audit's verdict on
an output's rows, and the one line the run prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from shared.chaos.run import ChaosReport, split
from shared.chaos.workload import ChaosInput, ChaosWorkload, Outcome, Verdict, rows_verdict


def workload(weight: int, limit: int | None = None) -> ChaosWorkload:
    class Given(ChaosWorkload):
        application: ClassVar[str] = "probe"
        kind: ClassVar[str] = "probe input"

        def feed(self, stage: Any, rng: Any, count: int) -> Sequence[ChaosInput]:
            return ()

        def recover(self, stage: Any, inputs: Sequence[ChaosInput]) -> Sequence[str]:
            return ()

        def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
            return ()

    Given.weight, Given.limit = weight, limit
    return Given()


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (1000, [(40, None), (25, None), (25, None), (8, None), (2, 12)], [408, 250, 250, 80, 12]),
        (1000, [(40, None), (2, 5)], [995, 5]),
        (10, [(40, None), (25, None), (2, 12)], [6, 3, 1]),
        (2, [(40, None), (25, None), (2, 12)], [2, 0, 0]),
    ],
)
def test_inputs_are_shared_by_weight_within_each_limit(total, weights, expected):
    counts = split(total, [workload(w, limit) for w, limit in weights])
    assert counts == expected
    assert sum(counts) == total


def test_every_workload_gets_one_input_when_there_are_enough():
    assert split(3, [workload(100), workload(1), workload(1)]) == [1, 1, 1]


def item(rows: int) -> ChaosInput:
    return ChaosInput("probe", "probe input", "s3://b/k", {"rows": rows})


@pytest.mark.parametrize(
    ("written", "rejected", "outcome"),
    [
        (Counter("abc"), Counter("d"), Outcome.PROCESSED),
        (Counter("abcc"), Counter(), Outcome.DUPLICATED),
        (Counter("abc"), Counter("a"), Outcome.DUPLICATED),
        (Counter("abcde"), Counter(), Outcome.DUPLICATED),
        (Counter("ab"), Counter("d"), Outcome.LOST),
        (Counter(), Counter(), Outcome.LOST),
    ],
    ids=["whole", "a-row-twice", "written-and-rejected", "more-rows", "a-row-missing", "none"],
)
def test_an_output_is_processed_only_with_every_row_once(written, rejected, outcome):
    assert rows_verdict(item(4), written, rejected).outcome is outcome


def test_an_input_that_should_have_been_refused_is_not_processed_by_having_no_rows():
    assert rows_verdict(item(0), Counter(), Counter()).outcome is Outcome.LOST


def report(*outcomes: Outcome) -> ChaosReport:
    verdicts = tuple(Verdict(item(1), outcome, "why") for outcome in outcomes)
    injected = {"Lambda invocation raised": 3, "event delivered twice": 2}
    return ChaosReport(5, verdicts, {"seed": 5, "injected": injected, "observed": {}}, (), 1.0)


def test_the_line_counts_every_outcome_and_the_faults():
    done = report(Outcome.PROCESSED, Outcome.PROCESSED, Outcome.QUARANTINED, Outcome.REJECTED)
    assert done.line() == (
        "chaos: 4 inputs, faults 5, processed 2, rejected 1, quarantined 1, dead-lettered 0, "
        "lost 0, duplicated 0"
    )
    assert done.passed


@pytest.mark.parametrize("bad", [Outcome.LOST, Outcome.DUPLICATED])
def test_a_lost_or_duplicated_input_fails_the_run_and_is_listed(bad):
    failed = report(Outcome.PROCESSED, bad)
    assert not failed.passed
    assert failed.to_json()["not_processed"] == [f"{bad.upper()} probe input s3://b/k: why"]


def test_a_dead_lettered_input_is_accounted_for_with_its_redrive_command():
    verdict = Verdict(item(1), Outcome.DEAD_LETTERED, "its event waits", "gdp redrive q")
    assert report(Outcome.DEAD_LETTERED).passed
    assert verdict.line().endswith("its event waits; re-drive: gdp redrive q")
