"""What an application of ``applications_repo/`` runs, independent of where it runs.

The CDK stacks deploy these definitions to AWS; the local run provisions and runs the same
definitions on moto and local Spark. An application returns its :class:`Definition` for a
stage from ``Application.definition`` (``shared.registry``); nothing in ``shared/`` names one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from shared import function_job
from shared.config import REPOSITORY_ROOT, GlueSettings
from shared.naming import StageNaming

SCRIPTS_PREFIX = "scripts"
# The attributes of an idempotency table (Powertools' defaults).
IDEMPOTENCY_KEY = "id"
IDEMPOTENCY_EXPIRY = "expiration"
TEMPORARY_PREFIX = "temporary"
FUNCTION_LOGGING = {"POWERTOOLS_LOG_LEVEL": "INFO"}
"""The log level every function of the platform starts with (part of its environment)."""


def load_object(dotted: str) -> Any:
    """``package.module:attribute`` -> the attribute."""
    module, _, attribute = dotted.partition(":")
    return getattr(import_module(module), attribute)


def module_of(script: Path) -> str:
    """A repository file's dotted module name."""
    return ".".join(script.resolve().relative_to(REPOSITORY_ROOT).with_suffix("").parts)


@dataclass(frozen=True)
class GlueJobDefinition:
    """A Glue job of an application.

    Attributes:
        name: the job's name (from the naming module).
        description: what it does, in one sentence.
        script: the entry-point script Glue runs.
        packages: the repository packages the script imports (shipped as ``--extra-py-files``).
        arguments: the job's default arguments, without the leading ``--``.
        emits_row_metrics: the job publishes RowsRead/RowsWritten/RowsRejected.
    """

    name: str
    description: str
    script: Path
    packages: tuple[str, ...]
    arguments: Mapping[str, str]
    emits_row_metrics: bool = False

    @property
    def script_module(self) -> str:
        """The script's dotted module name (where its ``AWS_CALLS`` and ``report`` are)."""
        return module_of(self.script)


def scripts_prefix(job_name: str) -> str:
    """Where a job's script and libraries live in the assets bucket."""
    return f"{SCRIPTS_PREFIX}/{job_name}/"


def default_arguments(
    naming: StageNaming, settings: GlueSettings, definition: GlueJobDefinition
) -> dict[str, str]:
    """A job's own default arguments: its temporary directory, auto scaling, and the
    arguments its application defines (the CDK construct adds the logging and metrics flags)."""
    auto_scaling = settings.max_workers > settings.min_workers
    return {
        "--TempDir": f"s3://{naming.assets_bucket}/{TEMPORARY_PREFIX}/{definition.name}/",
        "--enable-auto-scaling": str(auto_scaling).lower(),
        **{f"--{key}": value for key, value in definition.arguments.items()},
    }


@dataclass(frozen=True)
class ObjectCreatedHandler:
    """A Lambda function fired by "Object Created" events of a bucket.

    Attributes:
        function_name: the function's name (from the naming module).
        module: the function's one source file; ``handler`` is its entry point.
        handler: its entry point, ``module:function`` (the module declares ``AWS_CALLS``).
        bucket: the bucket whose events fire it.
        excluded_prefix: keys under this prefix do not fire it.
        environment: the function's environment variables.
        dead_letter_queue: where events go when the function keeps failing on them.
        idempotency_table: the DynamoDB table where it records the events it handled: a
            Powertools idempotency table (partition key ``id``, expiry ``expiration``), or
            the application's own records when a conditional write of them is the check.
    """

    function_name: str
    module: Path
    handler: str
    bucket: str
    excluded_prefix: str
    environment: Mapping[str, str]
    dead_letter_queue: str
    idempotency_table: str


@dataclass(frozen=True)
class QueueHandler:
    """A Lambda function fed by an SQS queue with a bucket's "Object Created" events (through
    EventBridge), in batches, reporting the messages it failed on (partial batch responses);
    a message that keeps failing moves to the queue's dead-letter queue.

    Attributes:
        function_name: the function's name (from the naming module).
        module: the function's one source file; ``handler`` is its entry point.
        handler: its entry point, ``module:function`` (the module declares ``AWS_CALLS``).
        bucket: the bucket whose objects' events it is fed.
        queue: the queue it reads.
        dead_letter_queue: the queue's dead-letter queue.
        environment: the function's environment variables.
    """

    function_name: str
    module: Path
    handler: str
    bucket: str
    queue: str
    dead_letter_queue: str
    environment: Mapping[str, str]


@dataclass(frozen=True)
class ServiceFunction:
    """A Lambda function its application invokes or schedules itself: an operator's tool, a
    sweeper, a health check.

    Attributes:
        function_name: the function's name (from the naming module).
        module: the function's one source file; ``handler`` is its entry point.
        handler: its entry point, ``module:function`` (the module declares ``AWS_CALLS``).
        environment: the function's environment variables.
        dead_letter_queue: where its failed asynchronous (scheduled) invocations go.
        settle_schedules: schedules that ship what waits (a batch's age): the local run fires
            them once its inputs have settled, as time passing would.
    """

    function_name: str
    module: Path
    handler: str
    environment: Mapping[str, str]
    dead_letter_queue: str
    settle_schedules: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobStateHandler:
    """A Lambda function fired when a Glue run of the stage finishes ("Glue Job State
    Change" events of jobs whose names end with ``job_name_suffix``).

    Attributes:
        function_name: the function's name (from the naming module).
        module: the function's own source file.
        handler: its entry point, ``module:function`` (the module declares ``AWS_CALLS``).
        job_name_suffix: the stage's job names end with it (``-dev``).
        environment: the function's environment variables.
        dead_letter_queue: where events go when the function keeps failing on them.
        alerts_topic: the SNS topic it alerts through.
    """

    function_name: str
    module: Path
    handler: str
    job_name_suffix: str
    environment: Mapping[str, str]
    dead_letter_queue: str
    alerts_topic: str


@dataclass(frozen=True)
class FunctionJob:
    """A job script run by a Lambda function instead of Glue: for inputs one machine handles
    in minutes, billed by the millisecond instead of Glue's minute of two workers.

    The function runs the script's ``report(argv)`` (the same script a Glue job of the
    application runs) on the arguments of an asynchronous invocation whose event is
    ``{"JobRunId": ..., "Arguments": {"--name": value}}``, after the defaults below, as Glue
    merges a run's arguments; a run that fails raises, so that Lambda retries it twice and
    then sends it to ``dead_letter_queue``. The function runs Python ``FUNCTION_JOB_PYTHON`` with
    ``layer_packages`` shipped as a layer, built for it at the versions of
    ``requirements.lock``.

    Attributes:
        function_name: the function's name (from the naming module).
        description: what it does, in one sentence.
        script: the job script whose ``report`` it runs (and whose ``AWS_CALLS`` it makes).
        packages: the repository packages the script imports (bundled with it).
        arguments: default arguments, without the leading ``--``.
        layer_packages: distributions with compiled code the script imports (``pyarrow``).
        memory_mb: the function's memory, which sets its CPU share (1,769 MB = one vCPU).
        timeout_seconds: how long one run may take (Lambda allows 900).
        ephemeral_storage_mb: ``/tmp``, where a run stages its output.
        dead_letter_queue: where runs go whose retries failed.
        reserved_concurrency: runs at once (more wait in Lambda's queue); ``None``: no limit.
        emits_row_metrics: the script publishes RowsRead/RowsWritten/RowsRejected.
    """

    function_name: str
    description: str
    script: Path
    packages: tuple[str, ...]
    arguments: Mapping[str, str]
    layer_packages: tuple[str, ...]
    memory_mb: int
    timeout_seconds: int
    ephemeral_storage_mb: int
    dead_letter_queue: str
    reserved_concurrency: int | None = None
    emits_row_metrics: bool = False

    @property
    def script_module(self) -> str:
        """The script's dotted module name (where its ``AWS_CALLS`` and ``report`` are)."""
        return module_of(self.script)

    @property
    def environment(self) -> dict[str, str]:
        """What the function is told: the script to run and its default arguments."""
        return {
            function_job.SCRIPT_VARIABLE: self.script_module,
            function_job.ARGUMENTS_VARIABLE: json.dumps(
                {f"--{key}": value for key, value in self.arguments.items()}, sort_keys=True
            ),
            **FUNCTION_LOGGING,
        }


FUNCTION_JOB_PYTHON = "3.13"
"""The Python of function jobs (Lambda's python3.13, supported to 2029; its layer's wheels
are built for it, and tests/integration runs a function job's package on it)."""


@dataclass(frozen=True)
class SampleRun:
    """A job run the local run starts itself, after putting sample data where the job reads.

    Attributes:
        job_name: the job to run.
        data: a local folder of sample files.
        location: the S3 prefix the job reads by default (a public data set in AWS); locally
            the sample files are put there.
    """

    job_name: str
    data: Path
    location: str


@dataclass(frozen=True)
class Workflow:
    """A Step Functions state machine of an application, started by a schedule.

    Attributes:
        state_machine: its name (from the naming module).
        schedule: the schedule that starts it; the local run fires it as one of its inputs
            and reports each execution with the states it went through.
    """

    state_machine: str
    schedule: str


@dataclass(frozen=True)
class LocalService:
    """An external service an application calls (an HTTP API), stood in for on this machine
    by a server on 127.0.0.1 while the local stage runs.

    Attributes:
        name: what it is called in the run's output.
        start: ``module:function`` that starts the stand-in and returns it running: an
            object with ``connection`` (a mapping, JSON-serialisable) and ``stop()``.
        secret: the Secrets Manager secret the application reads the service's connection
            from; the local stage writes the stand-in's ``connection`` into it.
    """

    name: str
    start: str
    secret: str


@dataclass(frozen=True)
class WebApi:
    """A REST API of an application (API Gateway, its methods integrated with Lambda
    functions), and the web UI that calls it.

    Attributes:
        rest_api: the API's name (from the naming module); the local stage serves each of
            its stages on 127.0.0.1.
        ui: an npm project (``package.json`` with its ``package-lock.json``) whose
            ``npm run build`` writes a static site into ``dist/``; the site reads the API's
            base URL from the ``config.json`` served beside its ``index.html``
            (``{"apiBaseUrl": ...}``), so that one build serves every stage.
        ui_port: the port of 127.0.0.1 the local stage serves the UI on (its origin must
            be one the API and its buckets allow); 0: any free port.
    """

    rest_api: str
    ui: Path | None = None
    ui_port: int = 0


@dataclass(frozen=True)
class Definition:
    """What one application runs in one stage: its jobs (on Glue, and as functions), its
    event handlers and its own functions, its workflows, its REST APIs and web UIs, its
    samples and the stand-ins of the services it calls."""

    name: str
    jobs: tuple[GlueJobDefinition, ...] = ()
    function_jobs: tuple[FunctionJob, ...] = ()
    handlers: tuple[ObjectCreatedHandler, ...] = ()
    queue_handlers: tuple[QueueHandler, ...] = ()
    job_state_handlers: tuple[JobStateHandler, ...] = ()
    functions: tuple[ServiceFunction, ...] = ()
    samples: Path | None = None
    sample_runs: tuple[SampleRun, ...] = ()
    workflows: tuple[Workflow, ...] = ()
    local_services: tuple[LocalService, ...] = ()
    apis: tuple[WebApi, ...] = ()
    inputs: tuple[str, ...] = ()
    """The buckets users put its inputs in, when not every bucket its handlers watch (one
    may hold what the application writes itself, such as manifests)."""

    @property
    def input_buckets(self) -> tuple[str, ...]:
        """The buckets users put its inputs in: ``inputs``, else those its object and queue
        handlers watch, each once."""
        if self.inputs:
            return self.inputs
        buckets = [h.bucket for h in self.handlers] + [h.bucket for h in self.queue_handlers]
        return tuple(dict.fromkeys(buckets))

    @property
    def dead_letter_queues(self) -> tuple[str, ...]:
        """Every dead-letter queue of its handlers, functions and function jobs, each once."""
        owners: list[Any] = [
            *self.handlers,
            *self.queue_handlers,
            *self.job_state_handlers,
            *self.functions,
            *self.function_jobs,
        ]
        return tuple(dict.fromkeys(owner.dead_letter_queue for owner in owners))

    @property
    def alarmed_functions(self) -> tuple[tuple[str, str], ...]:
        """``(function, dead-letter queue)`` of every function its handlers and its own
        functions run on (the monitoring alarms on their errors and dead letters)."""
        handlers: list[ObjectCreatedHandler | QueueHandler | ServiceFunction] = [
            *self.handlers,
            *self.queue_handlers,
            *self.functions,
        ]
        return tuple((h.function_name, h.dead_letter_queue) for h in handlers)
