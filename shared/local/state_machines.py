"""Step Functions, on this machine: the state machines of the templates, executed by moto's
ASL interpreter (LocalStack's, in ``moto.stepfunctions.parser``) with the local runtime
behind their tasks: ``lambda:invoke`` runs the function's handler (``functions``),
``glue:startJobRun.sync`` a run of the local Glue executor, ``aws-sdk:*`` tasks call the
local AWS.

Three things are adjusted while the stage runs:
- executions are on (moto only stores state machines by default);
- a ``.sync`` Glue task gets its callback endpoint like moto's other ``.sync`` services (moto
  5.2 crashes on it without one: ``'NoneType' object has no attribute 'interrupt_all'``);
- the errors of ``aws-sdk`` tasks name their service as Step Functions does
  (``Glue.CrawlerRunningException``, where moto says ``glue.``);
- ``Wait`` states and ``Retry`` intervals pass on the local clock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.core.config import default_user_config
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk as aws_sdk,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback,
    state_task_service_glue,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function
from moto.stepfunctions.parser.asl.utils import boto_client

from shared.local.aws import Patches
from shared.local.clock import LocalClock
from shared.local.targets import Targets

RUNNING = "RUNNING"
POLL_SECONDS = 0.2
ENTERED, EXITED = "StateEntered", "StateExited"
SERVICE_ERROR_NAMES = {
    "glue": "Glue",
    "s3": "S3",
    "athena": "Athena",
    "lambda": "Lambda",
    "secretsmanager": "SecretsManager",
}
"""How Step Functions spells a service in the errors of its ``aws-sdk`` tasks
(``Glue.CrawlerRunningException``); moto knows only DynamoDB's and Step Functions'."""
SUCCEEDED_STATE = "ok"
ATTEMPT_FAILED = frozenset(
    {"TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut"}
)
CAUSE_CHARACTERS = 200

Progress = Callable[[str], None]


@dataclass
class Execution:
    """One execution of a state machine, as its history tells it."""

    state_machine: str
    name: str
    arn: str
    status: str = RUNNING
    input: Any = None
    output: Any = None
    error: str = ""
    cause: str = ""
    seconds: float | None = None
    states: list[tuple[str, str]] = field(default_factory=list)
    """``(state, outcome)`` in the order the states finished: ``ok``, or the error of an
    attempt that failed."""

    def path(self) -> str:
        """``Ingest ok -> HasData ok -> ...``: the states it went through."""
        return " -> ".join(f"{state} {outcome}" for state, outcome in self.states)

    def to_json(self) -> dict[str, Any]:
        return {
            "state_machine": self.state_machine,
            "execution": self.name,
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "states": [{"state": s, "outcome": o} for s, o in self.states],
        }


class StepFunctionsEngine:
    """moto's interpreter switched on and adjusted for the local stage (module docstring);
    started before the templates are deployed, since moto picks its executing backend when
    a state machine is created."""

    def __init__(self, clock: LocalClock, port: int) -> None:
        self.clock, self.port = clock, port
        self._patches = Patches()
        self._executing = False

    def start(self) -> StepFunctionsEngine:
        # the interpreter logs every caught error with its whole parse tree; the local
        # runtime reports each failed state in one line instead
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        config = default_user_config["stepfunctions"]
        self._executing = config.get("execute_state_machine", False)
        config["execute_state_machine"] = True
        clock = self.clock

        def wait_interval(function: Any, env: Any, wait_seconds: int) -> None:
            deadline = time.monotonic() + clock.seconds(wait_seconds)
            while env.is_running() and (left := deadline - time.monotonic()) > 0:
                env.program_state_event.wait(left)

        self._patches.replace(wait_function.WaitFunction, "_wait_interval", wait_interval)
        glue_task = state_task_service_glue.StateTaskServiceGlue
        self._patches.replace(glue_task, "_eval_integration_pattern", _with_endpoint)
        for service, name in SERVICE_ERROR_NAMES.items():
            self._patches.replace_item(aws_sdk._SERVICE_ERROR_NAMES, service, name)
        self._patches.replace(retrier_decl, "time", _ScaledSleep(clock))
        # the interpreter's own clients (aws-sdk and .sync tasks) reach the local AWS
        self._patches.replace(boto_client, "moto_server_port", lambda: str(self.port))
        return self

    def stop(self) -> None:
        self._patches.restore()
        default_user_config["stepfunctions"]["execute_state_machine"] = self._executing


_integration_pattern = (
    state_task_service_callback.StateTaskServiceCallback._eval_integration_pattern
)


def _with_endpoint(task: Any, env: Any, **arguments: Any) -> None:
    """A ``.sync`` Glue task, given a callback endpoint of its own for each attempt, as moto's
    other ``.sync`` services (ECS) have one: moto 5.2 ends every ``.sync`` task by
    interrupting its endpoint, and a Glue task has none."""
    patterns = task._supported_integration_patterns
    task._supported_integration_patterns = {*patterns, ResourceCondition.WaitForTaskToken}
    env.callback_pool_manager.add(env.states.context_object.update_task_token())
    _integration_pattern(task, env=env, **arguments)


class _ScaledSleep:
    """``time`` for the retrier: its back-off sleeps pass on the local clock."""

    def __init__(self, clock: LocalClock) -> None:
        self.clock = clock

    def sleep(self, seconds: float) -> None:
        time.sleep(self.clock.seconds(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class LocalStateMachines:
    """The state machines of the local AWS: started as schedule and event targets, watched
    until they finish, each state reported as it finishes."""

    def __init__(self, session: Any, targets: Targets, progress: Progress = lambda line: None):
        self.sfn = session.client("stepfunctions")
        self.targets, self.progress = targets, progress
        self.executions: dict[str, Execution] = {}
        self._seen: dict[str, int] = {}
        self._current: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="state-machines", daemon=True)

    def start(self) -> LocalStateMachines:
        self.targets.register("states", self._as_target)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def idle(self) -> bool:
        with self._lock:
            return not any(e.status == RUNNING for e in self.executions.values())

    def start_execution(self, state_machine: str, payload: Any, name: str | None = None) -> str:
        """Start ``state_machine`` (a name or an ARN) on ``payload``; the execution's ARN."""
        arn = state_machine if state_machine.startswith("arn:") else self.arn_of(state_machine)
        name = name or str(uuid.uuid4())
        started = self.sfn.start_execution(
            stateMachineArn=arn, name=name, input=json.dumps(payload)
        )
        machine = arn.split(":")[-1]
        with self._lock:
            self.executions[started["executionArn"]] = Execution(
                machine, name, started["executionArn"], input=payload
            )
        self.progress(f"state machine {machine}: execution {name} started")
        return started["executionArn"]

    def arn_of(self, name: str) -> str:
        for page in self.sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                if machine["name"] == name:
                    return str(machine["stateMachineArn"])
        raise KeyError(f"no state machine {name}")

    def of(self, state_machine: str) -> list[Execution]:
        """The executions of ``state_machine`` (its name), in the order they started."""
        with self._lock:
            return [e for e in self.executions.values() if e.state_machine == state_machine]

    def wait(self, arn: str, timeout: float = 600.0) -> Execution:
        """Until the execution ``arn`` finishes; what it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                execution = self.executions[arn]
                if execution.status != RUNNING:
                    return execution
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"execution {arn} still running after {timeout:.0f}s")

    def _as_target(self, arn: str, payload: Any, attributes: Mapping[str, str]) -> None:
        self.start_execution(arn, payload)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            with self._lock:
                running = [e for e in self.executions.values() if e.status == RUNNING]
            for execution in running:
                self._follow(execution)

    def _follow(self, execution: Execution) -> None:
        described = self.sfn.describe_execution(executionArn=execution.arn)
        events = self.sfn.get_execution_history(executionArn=execution.arn)["events"]
        label = f"{execution.state_machine} {execution.name[:8]}"
        for event in events[self._seen.get(execution.arn, 0) :]:
            details = _details(event)
            if event["type"].endswith(ENTERED) and "name" in details:
                self._current[execution.arn] = details["name"]
            elif event["type"].endswith(EXITED) and "name" in details:
                execution.states.append((details["name"], SUCCEEDED_STATE))
                self.progress(f"{label}: {details['name']} {SUCCEEDED_STATE}")
            elif event["type"] in ATTEMPT_FAILED and "error" in details:
                state = self._current.get(execution.arn, "?")
                execution.states.append((state, details["error"]))
                cause = " ".join(str(details.get("cause", "")).split())[:CAUSE_CHARACTERS]
                self.progress(f"{label}: {state} failed: {details['error']}: {cause}")
        self._seen[execution.arn] = len(events)
        if described["status"] == RUNNING:
            return
        with self._lock:
            execution.status = described["status"]
            execution.output = json.loads(described["output"]) if described.get("output") else None
            execution.error = described.get("error", "")
            execution.cause = described.get("cause", "")
            if described.get("stopDate") and described.get("startDate"):
                execution.seconds = (described["stopDate"] - described["startDate"]).total_seconds()
        self.progress(
            f"state machine {execution.state_machine}: execution {execution.name} "
            f"{execution.status}" + (f" ({execution.error})" if execution.error else "")
        )


def _details(event: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return dict(value)
    return {}
