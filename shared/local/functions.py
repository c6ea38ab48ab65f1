"""Lambda, on this machine: the local AWS's functions invoked in this process, as Lambda
invokes them.

- Synchronously (SQS event source mappings, Lambda's Invoke API as ``RequestResponse``): the
  handler's result or its error.
- Asynchronously (EventBridge, S3 notifications, schedules, destinations, the Invoke API as
  ``Event``, which a function's code calls): queued, run within the function's reserved
  concurrency, retried ``MaximumRetryAttempts`` times with Lambda's back-off (one, then two
  minutes, on the local clock), dropped past ``MaximumEventAgeInSeconds``; a success goes to
  ``OnSuccess``, a failure to ``OnFailure`` (Lambda's invocation record) or else the
  dead-letter queue (the event itself).
- A handler still running at the function's ``Timeout`` fails the invocation ("Task timed
  out"); what it did until then stays done, as in AWS (the thread finishes in the background).
- A throttled asynchronous invocation is retried without spending an attempt, until the
  event's maximum age, as Lambda retries throttles; a throttled synchronous one fails.
- Under a chaos run (``shared.local.faults``) invocations raise, time out mid-way, are
  throttled, or run twice at once (a race on the handler's conditional writes).
- Each stage's functions start cold: Powertools' process-wide parameter providers (a client
  of an earlier stage's endpoint, its secrets) are cleared.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities import parameters
from moto.awslambda import exceptions as lambda_exceptions
from moto.awslambda import models as lambda_models

from shared.deployability.iam_policy import Principal, Request, evaluate
from shared.local import faults
from shared.local.aws import Patches
from shared.local.clock import LocalClock
from shared.local.function_code import (
    FunctionConfig,
    LambdaContext,
    LoadedFunction,
    function_name,
    install_thread_stdout,
    read_functions,
)
from shared.local.targets import Targets

RETRY_DELAYS_SECONDS = (60.0, 120.0)
"""Lambda's waits before the retries of an asynchronous invocation."""
UNRESERVED_CONCURRENCY = 4
SUCCEEDED, FAILED = "SUCCEEDED", "FAILED"
THROTTLED = "TooManyRequestsException"
THROTTLE_RETRY_SECONDS = 30.0
"""The wait before retrying a throttled asynchronous invocation (Lambda's: 1 s to 5 min)."""
CUT_CALLS = (1, 4)
"""An invocation timed out mid-way stops after between this many of its AWS calls."""
CUT_DEADLINE_SECONDS = 0.5
"""Its context's time left: it runs out, as at Lambda's timeout (what the code bases on its
deadline, such as a Powertools in-progress record's expiry, has passed by its retry)."""

Progress = Callable[[str], None]


class TooManyRequests(lambda_exceptions.LambdaClientError):
    """Lambda's answer to a throttled synchronous Invoke (HTTP 429)."""

    code = 429

    def __init__(self) -> None:
        super().__init__(THROTTLED, "Rate Exceeded.")


class FunctionError(RuntimeError):
    """An invocation failed: the handler raised (``error_type`` is its exception's class, as
    Lambda reports it) or timed out (``Sandbox.Timedout``)."""

    def __init__(self, message: str, error_type: str = "Unhandled") -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class Invocation:
    """One event handed to a function, and what became of it."""

    function: str
    event: Any
    source: str
    status: str = "PENDING"
    attempts: int = 0
    result: Any = None
    error: str | None = None
    sent_to: str | None = None
    started: datetime | None = None
    ended: datetime | None = None


class LocalFunctions:
    """The functions of the local AWS, runnable in this process."""

    def __init__(
        self,
        session: Any,
        *,
        account: str,
        region: str,
        workdir: Path,
        targets: Targets,
        clock: LocalClock,
        progress: Progress = lambda line: None,
    ) -> None:
        self.session, self.account, self.region = session, account, region
        self.workdir, self.targets, self.clock, self.progress = workdir, targets, clock, progress
        self.functions: dict[str, LoadedFunction] = {}
        self.invocations: list[Invocation] = []
        self.listeners: list[Callable[[Invocation], None]] = []
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._patches = Patches()
        self._pending = 0
        self._lock = threading.Lock()

    def start(self) -> LocalFunctions:
        install_thread_stdout()
        parameters.clear_caches()
        for config in read_functions(self.session, self.account, self.region):
            self.functions[config.name] = LoadedFunction(config, self.workdir)
            limit = config.reserved_concurrency or UNRESERVED_CONCURRENCY
            self._pools[config.name] = ThreadPoolExecutor(
                max_workers=limit, thread_name_prefix=f"lambda-{config.name}"
            )
        self.targets.register("lambda", self._as_target)
        functions = self

        def invoke(backend: Any, *call: Any) -> bytes:
            # moto's LambdaBackend.invoke(function_name, qualifier, body, headers, out_headers)
            name, _, body, headers, response_headers = call
            return functions.invoke_from_api(name, body, headers, response_headers)

        self._patches.replace(lambda_models.LambdaBackend, "invoke", invoke)
        return self

    def stop(self) -> None:
        self._patches.restore()
        for pool in self._pools.values():
            pool.shutdown(wait=True)
        for function in self.functions.values():
            function.unload()

    def idle(self) -> bool:
        with self._lock:
            return self._pending == 0

    def config(self, name_or_arn: str) -> FunctionConfig:
        return self.functions[function_name(name_or_arn)].config

    def allows(self, name_or_arn: str, service: str, source_arn: str) -> bool:
        """Whether the function's resource policy lets ``service`` invoke it for
        ``source_arn`` (an EventBridge rule, a bucket)."""
        config = self.config(name_or_arn)
        if config.policy is None:
            return False
        request = Request(
            "lambda:InvokeFunction",
            config.arn,
            Principal("Service", service),
            {"aws:SourceArn": source_arn, "aws:SourceAccount": self.account},
        )
        return evaluate([config.policy], request).allowed

    def invoke(self, name_or_arn: str, event: Any, source: str) -> Any:
        """Run the function on ``event`` now; its result.

        Raises:
            FunctionError: the handler raised or ran past the function's timeout.
        """
        invocation = Invocation(function_name(name_or_arn), event, source, attempts=1)
        try:
            invocation.result = self._run(invocation)
        except FunctionError as error:
            invocation.status, invocation.error = FAILED, str(error)
            self._finished(invocation)
            raise
        invocation.status = SUCCEEDED
        self._finished(invocation)
        return invocation.result

    def invoke_async(self, name_or_arn: str, event: Any, source: str) -> Invocation:
        """Queue ``event`` for the function, as an asynchronous invocation."""
        invocation = Invocation(function_name(name_or_arn), event, source)
        twins = [invocation]
        if faults.decide(faults.Fault.DYNAMODB_RACE, faults.stable_key(invocation.function, event)):
            twins.append(Invocation(invocation.function, event, f"{source} (raced)"))
        with self._lock:
            self._pending += len(twins)
        for twin in twins:
            self._pools[twin.function].submit(self._async, twin, time.monotonic())
        return invocation

    def invoke_from_api(
        self, name_or_arn: str, body: Any, headers: Any, response_headers: dict[str, str]
    ) -> bytes:
        """Lambda's Invoke API, as a function's code calls it: ``Event`` queues the
        invocation (asynchronous: retries, destinations), ``RequestResponse`` runs it now and
        answers its result or its error, ``DryRun`` only checks that the function exists."""
        name = function_name(name_or_arn)
        if name not in self.functions:
            raise lambda_exceptions.UnknownFunctionException(name_or_arn)
        event = json.loads(body) if body else {}
        kind = headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if kind == "Event":
            self.invoke_async(name, event, source="lambda:Invoke")
            return b""
        if kind == "DryRun":
            return b""
        if faults.decide(faults.Fault.LAMBDA_THROTTLED, faults.stable_key(name, event)):
            raise TooManyRequests()
        try:
            result = self.invoke(name, event, source="lambda:Invoke")
        except FunctionError as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            answer = {"errorMessage": str(error), "errorType": error.error_type}
            return json.dumps(answer).encode()
        return json.dumps(result).encode()

    def _as_target(self, arn: str, payload: Any, attributes: Any) -> None:
        self.invoke_async(arn, payload, source="destination")

    def _async(self, invocation: Invocation, queued_at: float) -> None:
        config = self.config(invocation.function)
        try:
            delays = (0.0, *RETRY_DELAYS_SECONDS)[: config.max_retries + 1]
            for attempt, delay in enumerate(delays, start=1):
                time.sleep(self.clock.seconds(delay))
                invocation.attempts = attempt
                try:
                    invocation.result = self._run_unthrottled(invocation, config, queued_at)
                except FunctionError as error:
                    invocation.error = str(error)
                    if invocation.error == "EventAgeExceeded":
                        break
                    self.progress(
                        f"{invocation.function}: attempt {attempt} failed: {invocation.error}"
                    )
                    continue
                invocation.status, invocation.error = SUCCEEDED, None
                if config.on_success:
                    self._send(config.on_success, self._record(config, invocation, "Success"))
                    invocation.sent_to = config.on_success
                return
            invocation.status = FAILED
            self._failed(config, invocation)
        except Exception:  # the runtime's own failure: kept in the log, never swallowed
            invocation.status, invocation.error = FAILED, traceback.format_exc(limit=3)
            self.progress(f"{invocation.function}: local runtime error: {invocation.error}")
        finally:
            try:
                self._finished(invocation)
            finally:
                with self._lock:
                    self._pending -= 1

    def _run_unthrottled(
        self, invocation: Invocation, config: FunctionConfig, queued_at: float
    ) -> Any:
        """One attempt of an asynchronous invocation, retried while Lambda throttles it;
        ``FunctionError`` when it fails or the event outlives its age (``EventAgeExceeded``)."""
        while True:
            if time.monotonic() - queued_at > self.clock.seconds(config.max_event_age):
                raise FunctionError("EventAgeExceeded")
            try:
                return self._run(invocation)
            except FunctionError as error:
                if error.error_type != THROTTLED:
                    raise
            time.sleep(self.clock.seconds(THROTTLE_RETRY_SECONDS))

    def _failed(self, config: FunctionConfig, invocation: Invocation) -> None:
        if config.on_failure:
            condition = (
                "EventAgeExceeded" if invocation.error == "EventAgeExceeded" else "RetriesExhausted"
            )
            self._send(config.on_failure, self._record(config, invocation, condition))
            invocation.sent_to = config.on_failure
        elif config.dead_letter_target:
            attributes = {"RequestID": str(uuid.uuid4()), "ErrorMessage": invocation.error or ""}
            self._send(config.dead_letter_target, invocation.event, attributes)
            invocation.sent_to = config.dead_letter_target
        where = f", event sent to {invocation.sent_to}" if invocation.sent_to else ", event lost"
        self.progress(f"{invocation.function}: retries exhausted{where}")

    def _send(self, arn: str, payload: Any, attributes: dict[str, str] | None = None) -> None:
        self.targets.send(arn, payload, attributes)

    def _record(self, config: FunctionConfig, invocation: Invocation, condition: str) -> dict:
        """Lambda's invocation record, as a destination receives it."""
        failed = invocation.status == FAILED
        return {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"{config.arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": invocation.attempts,
            },
            "requestPayload": invocation.event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                **({"functionError": "Unhandled"} if failed else {}),
            },
            "responsePayload": (
                {"errorMessage": invocation.error} if failed else invocation.result
            ),
        }

    def _run(self, invocation: Invocation) -> Any:
        try:
            return self._run_handler(invocation)
        finally:
            invocation.ended = datetime.now(UTC)

    def _run_handler(self, invocation: Invocation) -> Any:
        function = self.functions[invocation.function]
        config = function.config
        key = faults.stable_key(config.name, invocation.event)
        if faults.decide(faults.Fault.LAMBDA_THROTTLED, key):
            raise FunctionError("Rate Exceeded.", THROTTLED)
        if faults.decide(faults.Fault.LAMBDA_ERROR, key):
            raise FunctionError(
                "RuntimeExitError: the sandbox exited (an injected fault)", "Runtime.ExitError"
            )
        cut = faults.decide(faults.Fault.LAMBDA_TIMEOUT, key)
        budget = faults.draw(faults.Fault.LAMBDA_TIMEOUT, key, *CUT_CALLS) if cut else None
        log_file = self.workdir / "logs" / f"{config.name}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        outcome: dict[str, Any] = {}
        started = threading.Event()

        def body() -> None:
            try:
                handler = function.handler()
                with function.environment(log_file):
                    invocation.started = datetime.now(UTC)
                    started.set()
                    context = LambdaContext(
                        function_name=config.name,
                        aws_request_id=str(uuid.uuid4()),
                        invoked_function_arn=config.arn,
                        memory_limit_in_mb=config.memory_mb,
                        deadline=time.monotonic()
                        + (config.timeout if budget is None else CUT_DEADLINE_SECONDS),
                        log_group_name=config.log_group,
                    )
                    if budget is None:
                        outcome["result"] = handler(invocation.event, context)
                    else:
                        with faults.cut_after(budget):
                            handler(invocation.event, context)
            except faults.InvocationCut as cut_short:  # its injected timeout stopped it
                with log_file.open("a", encoding="utf-8") as log:
                    log.write(f"{cut_short}\n")
            except Exception as error:  # the handler's error fails the invocation
                outcome["error"] = f"{type(error).__name__}: {error}".splitlines()[0]
                outcome["type"] = type(error).__name__
                with log_file.open("a", encoding="utf-8") as log:
                    log.write(traceback.format_exc())
            finally:
                started.set()

        worker = threading.Thread(target=body, name=f"invoke-{config.name}", daemon=True)
        worker.start()
        started.wait()
        worker.join(config.timeout)
        if worker.is_alive() or budget is not None:
            raise FunctionError(
                f"Task timed out after {config.timeout:.2f} seconds", "Sandbox.Timedout"
            )
        if "error" in outcome:
            raise FunctionError(outcome["error"], outcome["type"])
        return outcome.get("result")

    def _finished(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)
        for listener in self.listeners:
            try:
                listener(invocation)
            except Exception as error:  # a listener's bug is shown, and stops nothing
                self.progress(f"{invocation.function}: listener failed: {error!r}")
