"""EventBridge -> Lambda, on this machine: every new object version in a watched bucket
becomes an "Object Created" event, and every finished Glue run a "Glue Job State Change"
event, delivered to the real handlers in this process.

Delivery is what Lambda does with an asynchronous invocation: on an error the event is tried
twice more, then sent to the function's dead-letter queue. Whoever uploads (``gdp run``, a
test, ``aws s3 cp`` during ``gdp run --keep``), the object is delivered.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from shared.application import JobStateHandler, ObjectCreatedHandler
from shared.local.events import glue_job_state_event, object_created_event
from shared.outcomes import REJECTED, HandlerOutcome

RETRY_DELAYS_SECONDS = (1.0, 2.0)
POLL_SECONDS = 0.2
_environment_lock = threading.Lock()

Progress = Callable[[str], None]


class ThreadStdout:
    """``sys.stdout`` that sends what a handler invocation prints (Powertools metrics) to the
    function's log file, and what every other thread prints to where it went before: progress
    lines and command output never end up in a function's log."""

    def __init__(self, default: Any) -> None:
        self.default = default
        self.local = threading.local()

    def _target(self) -> Any:
        return getattr(self.local, "stream", None) or self.default

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.default, name)


@dataclass
class Delivery:
    """What became of one object's event."""

    bucket: str
    key: str
    version_id: str | None
    size: int
    function_name: str
    event: dict[str, Any]
    outcome: str = "PENDING"
    detail: str = ""
    job_run_id: str | None = None
    quarantine: str | None = None
    attempts: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class LambdaContext:
    """The context object Lambda passes to a handler."""

    function_name: str
    aws_request_id: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 128
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class LocalEventBus:
    """Watches the handlers' buckets and delivers their object events.

    Args:
        session: a boto3 session into the local AWS.
        handlers: the functions to deliver to, with the bucket each listens to.
        logs_dir: where each function's log lines go.
        progress: called with one line per delivery.
    """

    def __init__(
        self,
        session,
        handlers: Sequence[ObjectCreatedHandler],
        *,
        job_state_handlers: Sequence[JobStateHandler] = (),
        account: str,
        region: str,
        logs_dir: Path,
        progress: Progress = lambda line: None,
        retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
    ) -> None:
        self.s3 = session.client("s3")
        self.sqs = session.client("sqs")
        self.handlers = list(handlers)
        self.job_state_handlers = list(job_state_handlers)
        self.account, self.region = account, region
        self.logs_dir = Path(logs_dir)
        self.progress = progress
        self.retry_delays = tuple(retry_delays)
        self.deliveries: dict[tuple[str, str, str | None], Delivery] = {}
        self._seen: set[tuple[str, str, str | None]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = threading.Event()
        self._functions: dict[str, Callable[..., Any]] = {}
        self.job_events: list[Delivery] = []
        self._added_environment: list[str] = []

    def start(self) -> LocalEventBus:
        """Watch from now on: objects that exist already are not new.

        Each handler's module is loaded afresh, as Lambda starts a new execution environment:
        nothing it cached (clients of an earlier local AWS) carries over.
        """
        everything: list[ObjectCreatedHandler | JobStateHandler] = [
            *self.handlers,
            *self.job_state_handlers,
        ]
        for handler in everything:
            module = import_module(handler.handler.partition(":")[0])
            self._functions[handler.function_name] = getattr(
                importlib.reload(module), handler.handler.partition(":")[2]
            )
        for handler in self.handlers:
            self._seen.update(self._versions(handler.bucket))
        declared = {n for h in everything for n in h.environment}
        self._added_environment = sorted(declared - set(os.environ))
        self._thread = threading.Thread(target=self._loop, name="local-event-bus", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching; the variables the handlers' environments added are removed."""
        self._stop.set()
        if self._thread:
            self._thread.join()
        for name in self._added_environment:
            os.environ.pop(name, None)

    def idle(self) -> bool:
        """No delivery is running and every object seen so far has been delivered."""
        return not self._busy.is_set() and all(
            d.outcome != "PENDING" for d in self.deliveries.values()
        )

    def poll_once(self) -> int:
        """Deliver the events of objects created since the last poll; returns how many."""
        delivered = 0
        for handler in self.handlers:
            for identity, size, etag in self._new_versions(handler.bucket):
                bucket, key, version = identity
                if key.startswith(handler.excluded_prefix):
                    continue
                event = object_created_event(
                    bucket=bucket,
                    key=key,
                    size=size,
                    version_id=version,
                    etag=etag,
                    account=self.account,
                    region=self.region,
                )
                delivery = Delivery(bucket, key, version, size, handler.function_name, event)
                self.deliveries[identity] = delivery
                self._deliver(handler, delivery)
                delivered += 1
        return delivered

    def job_finished(self, job_name: str, run_id: str, state: str, message: str | None) -> None:
        """Deliver the "Glue Job State Change" event of a finished run to the handlers of
        the stage's jobs (called by the local Glue executor)."""
        event = glue_job_state_event(
            job_name=job_name,
            run_id=run_id,
            state=state,
            message=message,
            account=self.account,
            region=self.region,
        )
        for handler in self.job_state_handlers:
            if job_name.endswith(handler.job_name_suffix):
                delivery = Delivery("", job_name, run_id, 0, handler.function_name, event)
                self.job_events.append(delivery)
                self._deliver(handler, delivery)

    def redeliver(self, delivery: Delivery) -> None:
        """Deliver the same event again, as at-least-once delivery sometimes does."""
        handler = next(h for h in self.handlers if h.function_name == delivery.function_name)
        self._deliver(handler, delivery)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._busy.set()
            try:
                self.poll_once()
            finally:
                self._busy.clear()
            self._stop.wait(POLL_SECONDS)

    def _versions(self, bucket: str) -> Iterator[tuple[str, str, str | None]]:
        for identity, _, _ in self._listing(bucket):
            yield identity

    def _listing(self, bucket: str) -> Iterator[tuple[tuple[str, str, str | None], int, str]]:
        pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            for version in page.get("Versions", []):
                version_id = version.get("VersionId")
                identity = (bucket, version["Key"], None if version_id == "null" else version_id)
                yield identity, version["Size"], version.get("ETag", "").strip('"')

    def _new_versions(self, bucket: str) -> list[tuple[tuple[str, str, str | None], int, str]]:
        fresh = [item for item in self._listing(bucket) if item[0] not in self._seen]
        self._seen.update(identity for identity, _, _ in fresh)
        return fresh

    def _deliver(self, handler: ObjectCreatedHandler | JobStateHandler, delivery: Delivery) -> None:
        event = delivery.event
        function = self._functions[handler.function_name]
        error: Exception | None = None
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            if delay:
                time.sleep(delay)
            delivery.attempts = attempt
            try:
                with self._invocation(handler):
                    result = function(event, self._context(handler))
            except Exception as failure:  # a failed invocation is retried, as Lambda does
                error = failure
                self.progress(
                    f"{handler.function_name}: attempt {attempt} failed for {delivery.key}: "
                    f"{type(failure).__name__}: {failure}"
                )
                continue
            self._record(delivery, result)
            return
        self._dead_letter(handler, event, delivery, error)

    def _record(self, delivery: Delivery, result: Mapping[str, Any]) -> None:
        outcome = HandlerOutcome.from_event(result)
        if outcome.duplicate:
            delivery.duplicates += 1
            self.progress(f"{delivery.key}: repeated event recognised, nothing started")
            return
        delivery.outcome = outcome.status
        delivery.job_run_id = outcome.job_run_id
        delivery.detail = outcome.reason
        delivery.quarantine = outcome.quarantine
        if outcome.status == REJECTED:
            self.progress(f"{delivery.function_name} rejected {delivery.key}: {delivery.detail}")
        elif delivery.job_run_id:
            self.progress(
                f"{delivery.function_name} started {delivery.job_run_id[:11]} for {delivery.key}"
            )

    def _dead_letter(
        self,
        handler: ObjectCreatedHandler | JobStateHandler,
        event: dict[str, Any],
        delivery: Delivery,
        error: Exception | None,
    ) -> None:
        """Send the event to the dead-letter queue in Lambda's on-failure record format."""
        message = f"{type(error).__name__}: {error}" if error else "unknown error"
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn(handler),
                "condition": "RetriesExhausted",
                "approximateInvokeCount": delivery.attempts,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": message},
        }
        queue_url = self.sqs.get_queue_url(QueueName=handler.dead_letter_queue)["QueueUrl"]
        self.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
        delivery.outcome, delivery.detail = "DEAD_LETTERED", message
        self.progress(
            f"{delivery.key}: retries exhausted, event sent to {handler.dead_letter_queue}"
        )

    def _function_arn(self, handler: ObjectCreatedHandler | JobStateHandler) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{handler.function_name}"

    def _context(self, handler: ObjectCreatedHandler | JobStateHandler) -> LambdaContext:
        return LambdaContext(
            function_name=handler.function_name,
            aws_request_id=str(uuid.uuid4()),
            invoked_function_arn=self._function_arn(handler),
        )

    @contextmanager
    def _invocation(self, handler: ObjectCreatedHandler | JobStateHandler) -> Iterator[None]:
        """The function's environment and its log file (its logs and metrics lines), for one
        invocation. Invocations take turns, since the environment is the process's; what the
        handler prints goes to its log through the thread-aware stdout."""
        log_file = self.logs_dir / f"{handler.function_name}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        streams = [
            h
            for h in logging.getLogger(handler.logger_name).handlers
            if isinstance(h, logging.StreamHandler)
        ]
        with _environment_lock, log_file.open("a", encoding="utf-8") as log:
            stdout = sys.stdout
            if not isinstance(stdout, ThreadStdout):
                stdout = ThreadStdout(stdout)
                sys.stdout = stdout
            stdout.local.stream = log
            saved = {name: os.environ.get(name) for name in handler.environment}
            previous = [h.setStream(log) for h in streams]
            os.environ.update(handler.environment)
            try:
                yield
            finally:
                stdout.local.stream = None
                for stream_handler, stream in zip(streams, previous, strict=True):
                    stream_handler.setStream(stream)
                # A variable the process did not have is emptied, not deleted, until stop():
                # deleting one while another thread iterates os.environ (botocore does, for
                # its proxy settings, on every new client) raises KeyError in that thread.
                for name, value in saved.items():
                    os.environ[name] = "" if value is None else value
