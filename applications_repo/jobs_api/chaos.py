"""jobs-api in the chaos run (``gdp chaos``): jobs created through the REST API, as the web UI
creates them: a pre-signed upload, then a trigger (some clicked twice, one Idempotency-Key),
a user retrying what answers 429 or 5xx.

Some uploads are not Parquet (REJECTED by the upload check). The recovery re-drives the
dead-letter queues (``gdp redrive``), triggers the jobs whose upload was confirmed late and
retries FAILED jobs (``POST /jobs/{id}/retry``), as their user would. The audit reads each
job's item in the jobs table and its JSON output: every row once.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from random import Random
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from applications_repo.jobs_api.client import Answer, JobsApiClient, post_form
from applications_repo.jobs_api.jobs import JobsTable, JobStatus
from applications_repo.jobs_api.names import JobsApiNames
from applications_repo.parquet_to_json.metadata import plain
from applications_repo.parquet_to_json.taxi_data import Shape, trips
from shared.application import Definition
from shared.chaos import evidence
from shared.chaos.workload import ChaosInput, ChaosWorkload, Outcome, Verdict, rows_verdict
from shared.registry import AppContext

if TYPE_CHECKING:
    from shared.local.stage import LocalStage

ROWS = (5, 40)
NOT_PARQUET_EVERY = 12
"""One upload in this many is not Parquet (REJECTED)."""
CLICKED_TWICE_EVERY = 4
"""One job in this many is triggered twice with the same Idempotency-Key."""
ATTEMPTS = 6
"""A user tries a call this many times while it answers 429 or 5xx."""
CONFIRM_SECONDS = 60.0
"""How long the feed waits for the uploads to be confirmed before triggering."""
ROW_ID = "tpep_pickup_datetime"
REDRIVE = ".venv/bin/gdp redrive --stage dev"


class ApiJobs(ChaosWorkload):
    """Jobs of the REST API."""

    application = "jobs-api"
    kind = "API job"
    weight = 8

    def __init__(self, context: AppContext, definition: Definition) -> None:
        self.context = context
        self.names = JobsApiNames(context.naming)
        self.dead_letter_queues = definition.dead_letter_queues
        self.rest_api = definition.apis[0].rest_api

    def feed(self, stage: LocalStage, rng: Random, count: int) -> Sequence[ChaosInput]:
        client = JobsApiClient(stage.rest_apis.urls[self.rest_api])
        fed = []
        for index in range(count):
            data, rows = _file(index, rng)
            request = {"filename": f"chaos-{index}.parquet", "sizeBytes": len(data)}
            ticket = _patiently(partial(client.call, "POST", "/upload", request))
            if ticket.status >= 400:
                raise RuntimeError(f"jobs-api refused an upload: {ticket.status} {ticket.body}")
            post_form(ticket.body["upload"]["url"], ticket.body["upload"]["fields"], data)
            job_id = ticket.body["jobId"]
            fed.append(ChaosInput(self.application, self.kind, job_id, {"rows": rows}))
        deadline = time.monotonic() + CONFIRM_SECONDS
        for index, item in enumerate(fed):
            while (status := _status(client, item.ref)) == JobStatus.UPLOADING:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            if status == JobStatus.UPLOADED:
                clicks = 2 if index % CLICKED_TWICE_EVERY == 0 else 1
                for _ in range(clicks):
                    _patiently(partial(client.trigger, item.ref, f"chaos-{item.ref}"))
        return fed

    def recover(self, stage: LocalStage, inputs: Sequence[ChaosInput]) -> Sequence[str]:
        commands = evidence.redrive_waiting(stage.session, self.dead_letter_queues, REDRIVE)
        client = JobsApiClient(stage.rest_apis.urls[self.rest_api])
        table = self._table(stage.session)
        triggered = retried = 0
        for item in inputs:
            found = table.get(item.ref)
            status = found and found["processing_status"]
            if status == JobStatus.UPLOADED:
                triggered += _patiently(partial(client.trigger, item.ref)).status == 202
            elif status == JobStatus.FAILED:
                answer = _patiently(partial(client.call, "POST", f"/jobs/{item.ref}/retry"))
                retried += answer.status == 202
        if triggered:
            commands.append(f"POST /trigger-job for {triggered} confirmed, untriggered jobs")
        if retried:
            commands.append(f"POST /jobs/<id>/retry for {retried} FAILED jobs")
        return commands

    def _table(self, session: Any) -> JobsTable:
        return JobsTable(session.resource("dynamodb").Table(self.names.jobs_table))

    def audit(self, session: Any, inputs: Sequence[ChaosInput]) -> Sequence[Verdict]:
        table, s3 = self._table(session), session.client("s3")
        waiting = evidence.waiting_in(session, self.dead_letter_queues)
        return [self._verdict(s3, table, item, waiting) for item in inputs]

    def _verdict(self, s3: Any, table: JobsTable, item: ChaosInput, waiting: list[str]) -> Verdict:
        found = table.get(item.ref)
        if found is None:
            return Verdict(item, Outcome.LOST, "no job item")
        record = plain(found)
        status = record["processing_status"]
        if status == JobStatus.REJECTED:
            return Verdict(item, Outcome.REJECTED, record.get("error_message", ""))
        if status != JobStatus.SUCCEEDED:
            if any(item.ref in body for body in waiting):
                return Verdict(item, Outcome.DEAD_LETTERED, f"{status}; its event waits", REDRIVE)
            reason = record.get("error_message") or ""
            return Verdict(item, Outcome.LOST, f"{status} after recovery {reason}".strip())
        written = _values(s3, record.get("output_file_path"))
        return rows_verdict(item, written, _values(s3, record.get("rejects_written")))


def _patiently(call: Callable[[], Answer]) -> Answer:
    """The call's answer once it is not 429 or 5xx (or the last one), as a user retries."""
    for attempt in range(ATTEMPTS):
        answer = call()
        if answer.status != 429 and answer.status < 500:
            return answer
        time.sleep(0.1 * 2**attempt)
    return answer


def _status(client: JobsApiClient, job_id: str) -> str:
    answer = _patiently(partial(client.call, "GET", f"/job-status/{job_id}"))
    return str(answer.body.get("status")) if answer.status == 200 else ""


def _values(s3: Any, uri: str | None) -> Counter[Any]:
    if not uri:
        return Counter()
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not evidence.exists(s3, bucket, key):
        return Counter()
    return evidence.json_lines_values(s3, bucket, [key], ROW_ID)


def _file(index: int, rng: Random) -> tuple[bytes, int]:
    """One upload's bytes and its rows."""
    if index % NOT_PARQUET_EVERY == NOT_PARQUET_EVERY - 1:
        return b"VendorID,fare_amount\n1,12.5\n", 0
    rows = rng.randint(*ROWS)
    sink = io.BytesIO()
    pq.write_table(trips(Shape(rows=rows, seed=10_000 + index)), sink, compression="snappy")
    return sink.getvalue(), rows
