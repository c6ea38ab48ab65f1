"""A small seeded chaos run (``make chaos`` runs a thousand inputs): every application fed at
once on the dev stage while the runtime injects faults, the operator's recovery, then the
audit, which finds nothing lost or duplicated and prints its one line."""

from __future__ import annotations

import json
import re

import pytest

from shared.chaos.run import REPORT_FILE, run_chaos
from shared.chaos.workload import Outcome
from shared.local.faults import Fault
from shared.registry import registered

pytestmark = pytest.mark.integration
SEED, INPUTS = 3, 36
APPS = ("file-processor", "parquet-to-json", "ndjson-batching", "jobs-api", "medallion")
"""Every application with a chaos workload (ProcessLegislators has none: one fixed input)."""
LINE = re.compile(
    r"chaos: 36 inputs, faults \d+, processed \d+, rejected \d+, quarantined \d+, "
    r"dead-lettered \d+, lost 0, duplicated 0"
)


@pytest.fixture(scope="module")
def report(platform_config, spark, dev_assembly, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("chaos")
    return run_chaos(
        platform_config,
        seed=SEED,
        inputs=INPUTS,
        workdir=workdir,
        apps=APPS,
        assembly=dev_assembly,
    ), workdir


def test_nothing_is_lost_or_duplicated_and_the_line_says_so(report):
    done, _ = report
    assert done.passed, "\n".join(v.line() for v in done.verdicts if v.outcome != Outcome.PROCESSED)
    assert LINE.fullmatch(done.line()), done.line()


def test_every_application_asked_for_was_fed_and_audited(report, platform_config):
    done, _ = report
    fed = {v.input.application for v in done.verdicts}
    with_workloads = {a.name for a in registered() if a.chaos(a.context(platform_config, "dev"))}
    assert fed == set(APPS) == with_workloads


def test_faults_were_injected_and_the_report_is_written(report):
    done, workdir = report
    written = json.loads((workdir / REPORT_FILE).read_text())
    assert written["line"] == done.line()
    injected = written["faults"]["injected"]
    assert set(injected) == {fault.value for fault in Fault}
    assert done.injected > 10
    assert written["inputs"]
