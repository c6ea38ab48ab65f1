"""A Lambda function of the local AWS, ready to run in this process: its configuration as
deployed, its code (and its layers') unpacked from what was deployed, its handler loaded
from that code, its environment and log for the length of one invocation."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError
from moto.awslambda import models as lambda_models

from shared.local.aws import dead_letter_target

DEFAULT_RETRIES = 2
DEFAULT_MAX_EVENT_AGE = 6 * 3600
LAYER_PATHS = ("python", "python/lib/python3.11/site-packages")
_environment_lock = threading.Lock()
_thread_streams = threading.local()


class ThreadStdout:
    """``sys.stdout`` that sends what an invocation prints (Powertools logs and metrics) to
    its function's log, and what every other thread prints where it went before."""

    def __init__(self, default: Any) -> None:
        self.default = default

    def _target(self) -> Any:
        return getattr(_thread_streams, "stream", None) or self.default

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.default, name)


def install_thread_stdout() -> None:
    """Route each invocation's output to its own log from now on (before handlers load, so
    that the stream their loggers keep is this one)."""
    if not isinstance(sys.stdout, ThreadStdout):
        sys.stdout = ThreadStdout(sys.stdout)


@dataclass
class FunctionConfig:
    """What the local AWS holds about one function."""

    name: str
    arn: str
    handler: str
    timeout: float
    memory_mb: int
    environment: dict[str, str]
    log_group: str
    code: bytes
    layers: list[bytes] = field(default_factory=list)
    reserved_concurrency: int | None = None
    max_retries: int = DEFAULT_RETRIES
    max_event_age: int = DEFAULT_MAX_EVENT_AGE
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter_target: str | None = None
    policy: dict[str, Any] | None = None


def read_functions(session: Any, account: str, region: str) -> list[FunctionConfig]:
    """Every function of the local AWS as deployed: its configuration through the Lambda
    API, its code from moto's record (the API gives a download link into real AWS)."""
    lam = session.client("lambda")
    backend = lambda_models.lambda_backends[account][region]
    found = []
    for page in lam.get_paginator("list_functions").paginate():
        for listed in page["Functions"]:
            name = listed["FunctionName"]
            function = lam.get_function(FunctionName=name)
            configuration = function["Configuration"]
            invoke_config = _call(lam.get_function_event_invoke_config, FunctionName=name)
            destinations = invoke_config.get("DestinationConfig", {})
            policy = _call(lam.get_policy, FunctionName=name).get("Policy")
            found.append(
                FunctionConfig(
                    name=name,
                    arn=configuration["FunctionArn"],
                    handler=configuration["Handler"],
                    timeout=float(configuration["Timeout"]),
                    memory_mb=int(configuration["MemorySize"]),
                    environment=configuration.get("Environment", {}).get("Variables", {}),
                    log_group=configuration.get("LoggingConfig", {}).get(
                        "LogGroup", f"/aws/lambda/{name}"
                    ),
                    code=backend.get_function(name).code_bytes,
                    layers=[
                        backend.get_layer_version(*layer["Arn"].split(":")[-2:]).code_bytes
                        for layer in configuration.get("Layers", [])
                    ],
                    reserved_concurrency=function.get("Concurrency", {}).get(
                        "ReservedConcurrentExecutions"
                    ),
                    max_retries=invoke_config.get("MaximumRetryAttempts", DEFAULT_RETRIES),
                    max_event_age=invoke_config.get(
                        "MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE
                    ),
                    on_success=destinations.get("OnSuccess", {}).get("Destination"),
                    on_failure=destinations.get("OnFailure", {}).get("Destination"),
                    dead_letter_target=dead_letter_target(account, region, name),
                    policy=json.loads(policy) if policy else None,
                )
            )
    return found


def _call(operation: Callable[..., dict[str, Any]], **arguments: Any) -> dict[str, Any]:
    """An optional part of a function's configuration: ``{}`` when it has none."""
    try:
        return operation(**arguments)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return {}
        raise


class LoadedFunction:
    """One function's code unpacked under ``workdir`` and its handler loaded from it."""

    def __init__(self, config: FunctionConfig, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.code_dir = workdir / "lambda" / config.name
        self.paths: list[str] = []
        self._handler: Callable[..., Any] | None = None
        self._loading = threading.Lock()

    def _unpack_all(self) -> None:
        """The code and the layers' code, unpacked on first use (a function that is never
        invoked, like a custom resource's provider, costs nothing)."""
        self._unpack(self.config.code, self.code_dir)
        self.paths = [str(self.code_dir)]
        for index, layer in enumerate(self.config.layers):
            layer_dir = self.workdir / "layers" / f"{self.config.name}-{index}"
            self._unpack(layer, layer_dir)
            self.paths += [str(layer_dir / p) for p in LAYER_PATHS if (layer_dir / p).is_dir()]

    @staticmethod
    def _unpack(code: bytes, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(directory)

    def handler(self) -> Callable[..., Any]:
        """The entry point named by ``Handler`` (``module.function``), loaded from the
        function's code on first use. Libraries it bundles that this process has loaded
        already (Powertools, the platform's packages) are the checkout's same copies.
        Concurrent first invocations load it once: the others wait, as they would for a cold
        start, rather than read the code while it is being unpacked."""
        with self._loading:
            if self._handler is None:
                self._handler = self._load()
        return self._handler

    def _load(self) -> Callable[..., Any]:
        self._unpack_all()
        module_path, _, attribute = self.config.handler.rpartition(".")
        source = self.code_dir / f"{module_path.replace('.', '/')}.py"
        for path in self.paths:
            if path not in sys.path:
                sys.path.append(path)
        # the module's own name, as in Lambda (Powertools' idempotency keys contain it);
        # two functions' modules of one name each keep their own globals
        spec = importlib.util.spec_from_file_location(module_path, source)
        if spec is None or spec.loader is None:
            raise FileNotFoundError(f"{self.config.name}: no module {source}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_path] = module
        with self.environment():
            spec.loader.exec_module(module)
        self.module = module
        return getattr(module, attribute)

    def unload(self) -> None:
        module: ModuleType | None = getattr(self, "module", None)
        if module is not None and sys.modules.get(module.__name__) is module:
            del sys.modules[module.__name__]
        for path in self.paths:
            if path in sys.path:
                sys.path.remove(path)

    @contextmanager
    def environment(self, log_file: Path | None = None) -> Iterator[None]:
        """The function's environment variables (and Lambda's own) and its log, for one
        invocation; invocations take turns, since the environment is the process's."""
        variables = {
            **self.config.environment,
            "AWS_LAMBDA_FUNCTION_NAME": self.config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.config.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": self.config.log_group,
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "_HANDLER": self.config.handler,
        }
        with _environment_lock:
            install_thread_stdout()  # again: a test's output capture may have replaced it
            saved = {name: os.environ.get(name) for name in variables}
            os.environ.update(variables)
            log = log_file.open("a", encoding="utf-8") if log_file else None
            handlers = _stream_handlers()
            previous = [h.setStream(log) for h in handlers] if log else []
            _thread_streams.stream = log
            try:
                yield
            finally:
                _thread_streams.stream = None
                for stream_handler, stream in zip(handlers, previous, strict=False):
                    stream_handler.setStream(stream)
                if log:
                    log.close()
                # A variable the process did not have is emptied, not deleted: deleting one
                # while another thread iterates os.environ (botocore does, for its proxy
                # settings, on every new client) raises KeyError in that thread.
                for name, value in saved.items():
                    os.environ[name] = "" if value is None else value


def _stream_handlers() -> list[logging.StreamHandler[Any]]:
    """Handlers that write to standard output directly (not through ``ThreadStdout``)."""
    found = []
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if (
                isinstance(handler, logging.StreamHandler)
                and not isinstance(handler, logging.FileHandler)
                and handler.stream is getattr(sys.stdout, "default", None)
            ):
                found.append(handler)
    return found


@dataclass(frozen=True)
class LambdaContext:
    """The context object Lambda passes to a handler."""

    function_name: str
    aws_request_id: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    deadline: float
    log_group_name: str
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def function_name(name_or_arn: str) -> str:
    """``arn:aws:lambda:r:a:function:NAME[:qualifier]`` or ``NAME`` -> ``NAME``."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":")[6]
    return name_or_arn
