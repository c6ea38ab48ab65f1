"""GlueMedallionRunRecorder: DPU-hours and cost from the Glue run the state machine hands
it, and the freshness check over the state machine's executions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from applications_repo.medallion.runtime import recorder


@pytest.mark.parametrize(
    ("run", "hours"),
    [
        ({"DPUSeconds": 7200.0}, 2.0),
        ({"ExecutionTime": 1800, "NumberOfWorkers": 2, "WorkerType": "G.1X"}, 1.0),
        ({"ExecutionTime": 900, "NumberOfWorkers": 4, "WorkerType": "G.2X"}, 2.0),
        ({"ExecutionTime": 3600, "MaxCapacity": 10}, 10.0),
        ({}, 0.0),
    ],
)
def test_dpu_hours_come_from_glue_s_own_figures(run, hours):
    assert recorder.dpu_hours(run) == pytest.approx(hours)


def test_the_cost_is_the_dpu_hours_at_the_configured_price():
    event = {
        "glue": {"Id": "jr_1", "ExecutionTime": 1800, "NumberOfWorkers": 2, "WorkerType": "G.1X"},
        "ingestion": {"records": 235},
    }
    assert recorder.record(event, price=0.44) == {
        "dpu_hours": 1.0,
        "cost_usd": 0.44,
        "job_run_id": "jr_1",
    }


class Executions:
    """``list_executions`` of a state machine, as boto3 pages it."""

    def __init__(self, *stopped: datetime) -> None:
        self.pages = [{"executions": [{"stopDate": s} for s in stopped]}]

    def get_paginator(self, name: str) -> SimpleNamespace:
        assert name == "list_executions"
        return SimpleNamespace(paginate=lambda **kwargs: self.pages)


NOW = datetime(2025, 11, 3, 11, 0, tzinfo=UTC)


def test_a_run_that_succeeded_today_is_fresh():
    found = recorder.check_freshness(Executions(NOW - timedelta(hours=2)), "arn", NOW)
    assert found == {"missing": False, "last_success": "2025-11-03T09:00:00+00:00"}


@pytest.mark.parametrize("stopped", [(), (NOW - timedelta(days=1),)])
def test_no_success_today_is_missing(stopped):
    assert recorder.check_freshness(Executions(*stopped), "arn", NOW)["missing"] is True


def test_an_unknown_action_is_named():
    with pytest.raises(recorder.BadEventError, match="action 'sweep': expected record or"):
        recorder.handler.__wrapped__({"action": "sweep"}, None)
