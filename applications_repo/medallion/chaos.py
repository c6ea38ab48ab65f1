"""medallion in the chaos run (``gdp chaos``): daily executions of the state machine, one run
date each, as the daily schedule starts them, against the sample orders API (which answers
bursts of 429s and 5xx under the run's faults).

The recovery runs again, in one execution, the dates whose last execution did not succeed
(``gdp medallion run --date ...``). The audit reads each date's gold partition (each order
once) and its silver rejects: every order the API holds for the date is in one or the other.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from applications_repo.medallion.layers import (
    CURATED_PREFIX,
    REJECTED_NAME,
    REJECTED_PREFIX,
    STAGING_PREFIX,
    day_folder,
    partition_folder,
)
from applications_repo.medallion.names import MedallionNames
from applications_repo.medallion.sample_api import orders_of
from shared.application import Definition
from shared.chaos import evidence
from shared.chaos.workload import ChaosInput, ChaosWorkload, Outcome, Verdict
from shared.registry import AppContext

if TYPE_CHECKING:
    from shared.local.stage import LocalStage

FIRST_DATE = date(2025, 10, 1)
SUCCEEDED = "SUCCEEDED"
RERUN = ".venv/bin/gdp medallion run --stage dev"


class DailyExecutions(ChaosWorkload):
    """One execution per run date."""

    application = "medallion"
    kind = "daily execution"
    weight = 2
    limit = 12

    def __init__(self, context: AppContext, definition: Definition) -> None:
        self.context = context
        self.names = MedallionNames(context.naming)

    def feed(self, stage: LocalStage, rng: Random, count: int) -> Sequence[ChaosInput]:
        days = rng.sample(range(60), count)
        fed = []
        for offset in days:
            run_date = (FIRST_DATE + timedelta(days=offset)).isoformat()
            stage.state_machines.start_execution(
                self.names.state_machine, {"run_dates": [run_date]}
            )
            fed.append(ChaosInput(self.application, self.kind, run_date))
        return fed

    def recover(self, stage: LocalStage, inputs: Sequence[ChaosInput]) -> Sequence[str]:
        latest: dict[str, str] = {}
        for execution in stage.state_machines.of(self.names.state_machine):
            for run_date in (execution.input or {}).get("run_dates", []):
                latest[run_date] = (
                    SUCCEEDED if latest.get(run_date) == SUCCEEDED else execution.status
                )
        again = sorted(i.ref for i in inputs if latest.get(i.ref) != SUCCEEDED)
        if not again:
            return ()
        stage.state_machines.start_execution(self.names.state_machine, {"run_dates": again})
        return (f"{RERUN} " + " ".join(f"--date {d}" for d in again),)

    def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
        s3 = session.client("s3")
        verdicts = [self._verdict(s3, item) for item in inputs]
        if any(v.outcome == Outcome.LOST for v in verdicts):
            ended = self._executions(session.client("stepfunctions"))
            verdicts = [
                replace(v, detail=f"{v.detail}; its executions: {ended.get(v.input.ref, 'none')}")
                if v.outcome == Outcome.LOST
                else v
                for v in verdicts
            ]
        return verdicts

    def _executions(self, sfn: Any) -> dict[str, str]:
        """How each date's executions ended (``FAILED (RunDatesFailed), SUCCEEDED``), from
        the state machine's history."""
        ended: dict[str, list[str]] = {}
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.names.state_machine_arn
        )
        for page in pages:
            for listed in reversed(page["executions"]):
                described = sfn.describe_execution(executionArn=listed["executionArn"])
                error = f" ({described['error']})" if described.get("error") else ""
                for run_date in json.loads(described.get("input") or "{}").get("run_dates", []):
                    ended.setdefault(run_date, []).append(f"{described['status']}{error}")
        return {run_date: ", ".join(outcomes) for run_date, outcomes in ended.items()}

    def _verdict(self, s3: Any, item: ChaosInput) -> Verdict:
        run_date = item.ref
        expected = {order["order_id"] for order in orders_of(date.fromisoformat(run_date))}
        gold = self._gold_ids(s3, run_date)
        rejected = self._rejected_ids(s3, run_date)
        if repeated := evidence.duplicates(gold):
            return Verdict(item, Outcome.DUPLICATED, f"orders twice in gold: {repeated[:3]}")
        found = set(gold) | rejected
        if found == expected:
            return Verdict(
                item, Outcome.PROCESSED, f"{len(gold)} orders in gold, {len(rejected)} rejected"
            )
        if found - expected:
            return Verdict(
                item, Outcome.DUPLICATED, f"orders not of the date: {len(found - expected)}"
            )
        missing = len(expected - found)
        return Verdict(
            item,
            Outcome.LOST,
            f"{missing} of {len(expected)} orders in neither gold nor the rejects",
            redrive=f"{RERUN} --date {run_date}",
        )

    def _gold_ids(self, s3: Any, run_date: str) -> Counter[Any]:
        prefix = f"{CURATED_PREFIX}{partition_folder(run_date)}"
        found: Counter[Any] = Counter()
        for name in evidence.keys(s3, self.names.gold_bucket, prefix):
            if name.startswith(STAGING_PREFIX) or not name.endswith(".parquet"):
                continue
            body = s3.get_object(Bucket=self.names.gold_bucket, Key=name)["Body"].read()
            found.update(
                pq.read_table(io.BytesIO(body), columns=["order_id"]).column(0).to_pylist()
            )
        return found

    def _rejected_ids(self, s3: Any, run_date: str) -> set[str]:
        key = f"{REJECTED_PREFIX}{day_folder(run_date)}{REJECTED_NAME}"
        if not evidence.exists(s3, self.names.silver_bucket, key):
            return set()
        text = s3.get_object(Bucket=self.names.silver_bucket, Key=key)["Body"].read().decode()
        return {json.loads(line).get("order_id") for line in text.splitlines() if line.strip()}
