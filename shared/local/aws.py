"""An embedded AWS for the local run: moto's server on 127.0.0.1, in this process.

Starting it points every boto3 client of the process at it (``AWS_ENDPOINT_URL``, test
credentials, the stage's account and region); stopping it restores the environment. Two things
AWS Glue does and moto does not are added while it runs: job run queuing (runs beyond a job's
concurrency wait instead of failing) and the run fields a finished run reports (error message,
execution time). Under a chaos run (``shared.local.faults``) it refuses Glue runs, throttles
DynamoDB writes and fails S3 requests now and then, as AWS sometimes does. The SDK sessions
of the process share one botocore loader: in AWS a sandbox reads the service models once, at
its cold start; here one process runs every invocation and job run, each with new sessions.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from functools import cache
from typing import Any

import boto3
import requests
from botocore import loaders as botocore_loaders
from botocore import session as botocore_session
from moto.awslambda import models as lambda_models
from moto.dynamodb import exceptions as dynamodb_exceptions
from moto.dynamodb import models as dynamodb_models
from moto.glue import exceptions as glue_exceptions
from moto.glue import models as glue_models
from moto.iam.access_control import PermissionResult
from moto.kms import models as kms_models
from moto.kms import utils as kms_utils
from moto.moto_api import state_manager
from moto.s3 import models as s3_models
from moto.server import ThreadedMotoServer

from shared.clock import ORIGIN_VARIABLE, SPEED_VARIABLE
from shared.deployability.iam_policy import Decision, Principal, Request, evaluate
from shared.local import faults
from shared.local.clock import LocalClock
from shared.naming import StageNaming

LOCALHOST = "127.0.0.1"
RUN_MODEL = "glue::job_run"
QUEUING_ATTRIBUTE = "job_run_queuing_enabled"
DEAD_LETTER_ATTRIBUTE = "dead_letter_target_arn"
# Runs stay where the local Glue executor puts them; moto never advances them on its own.
NEVER = 10**12
WAITING, STARTING, RUNNING = "WAITING", "STARTING", "RUNNING"
ACTIVE_STATES = (STARTING, RUNNING)
_lock = threading.Lock()


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return probe.getsockname()[1]


class LocalAws:
    """moto's server for one stage account, and boto3 pointed at it.

    Attributes:
        endpoint: the server's URL.
        session: a boto3 session into it.
    """

    def __init__(
        self, naming: StageNaming, port: int | None = None, clock: LocalClock | None = None
    ) -> None:
        self.naming = naming
        self.clock = clock or LocalClock()
        self.clock_origin = time.time()
        self.port = port or free_port()
        self.endpoint = f"http://{LOCALHOST}:{self.port}"
        self._server = ThreadedMotoServer(ip_address=LOCALHOST, port=self.port, verbose=False)
        self._saved_environment: dict[str, str | None] = {}
        self.session: boto3.Session | None = None

    @property
    def environment(self) -> dict[str, str]:
        """What a shell needs to reach this AWS (``aws --endpoint-url`` aside)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.naming.region,
            "AWS_REGION": self.naming.region,
            "MOTO_ACCOUNT_ID": self.naming.account,
            # roles of the templates attach AWS managed policies (AWSLambdaBasicExecutionRole)
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
            # the code's clock (shared.clock) runs as fast as the local stage's waits
            SPEED_VARIABLE: str(self.clock.speed),
            ORIGIN_VARIABLE: str(self.clock_origin),
        }

    def start(self) -> LocalAws:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        for name, value in self.environment.items():
            self._saved_environment[name] = os.environ.get(name)
            os.environ[name] = value
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            self._saved_environment[name] = os.environ.pop(name, None)
        self._server.start()
        served = self._server._server
        assert served is not None
        served.app = _transient_s3_failures(served.app)
        # moto's backends live in this process: start from an empty account every time.
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()
        _install_emulation()
        self.session = boto3.session.Session(region_name=self.naming.region)
        return self

    def stop(self) -> None:
        self._server.stop()
        _remove_emulation()
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        """A client of the running local AWS."""
        assert self.session is not None, "the local AWS is not started"
        return self.session.client(service)

    def glue_jobs(self) -> list[Any]:
        """moto's records of every Glue job, for the local executor."""
        backend = glue_models.glue_backends[self.naming.account][self.naming.region]
        return list(backend.jobs.values())

    def glue_job(self, name: str) -> Any | None:
        """moto's record of a Glue job (``None`` once deleted), for the local executor."""
        backend = glue_models.glue_backends[self.naming.account][self.naming.region]
        return backend.jobs.get(name)


class Patches:
    """Replacements of moto's methods, installed together and restored together."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []
        self._items: list[tuple[dict[str, Any], str, Any]] = []

    def replace(self, owner: Any, name: str, replacement: Any) -> Any:
        """Put ``replacement`` at ``owner.name``; returns what was there."""
        original = getattr(owner, name)
        self._saved.append((owner, name, original))
        setattr(owner, name, replacement)
        return original

    def replace_item(self, mapping: dict[str, Any], key: str, value: Any) -> None:
        """Put ``value`` at ``mapping[key]`` (a module's table)."""
        self._items.append((mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def restore(self) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            setattr(owner, name, original)
        while self._items:
            mapping, key, value = self._items.pop()
            if value is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = value


_MISSING = object()
_patches = Patches()
_originals: dict[str, Any] = {}


def _install_emulation() -> None:
    with _lock:
        if _originals:
            return
        _originals["start_job_run"] = _patches.replace(
            glue_models.FakeJob, "start_job_run", _start_job_run_with_queuing
        )
        _originals["as_dict"] = _patches.replace(glue_models.FakeJobRun, "as_dict", _run_as_dict)
        _patches.replace(s3_models.FakeBucket, "get_permission", _bucket_permission)
        _patches.replace(botocore_session, "create_loader", _shared_loader)
        _patches.replace(kms_models, "generate_private_key", _private_key)
        for name in TABLE_WRITES:
            original = getattr(dynamodb_models.DynamoDBBackend, name)
            _patches.replace(dynamodb_models.DynamoDBBackend, name, _one_at_a_time(original))
    state_manager.set_transition(RUN_MODEL, {"progression": "manual", "times": NEVER})


_shared_loader = cache(botocore_loaders.create_loader)
"""botocore's loader, one for each data path: it caches the models it has read."""
SYMMETRIC = kms_utils.KeySpec.SYMMETRIC_DEFAULT


def _private_key(key_spec: str) -> Any:
    """moto makes an RSA key pair for every KMS key, a symmetric one too, which has none in
    KMS (its sign, verify and public-key calls fail there): a stage's two dozen keys took two
    seconds of each start. The symmetric keys of the process share one pair."""
    if key_spec == SYMMETRIC:
        return _symmetric_pair()
    return kms_utils.generate_private_key(key_spec)


@cache
def _symmetric_pair() -> Any:
    return kms_utils.generate_private_key(SYMMETRIC)


TABLE_WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
)
_table_writes = threading.Lock()


class ThroughputExceeded(dynamodb_exceptions.DynamodbException):
    """DynamoDB's throttling error (the SDKs retry it with back-off)."""

    def __init__(self) -> None:
        super().__init__(
            dynamodb_exceptions.ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
        )


def _one_at_a_time(write: Any) -> Any:
    """A DynamoDB write that takes turns with the others. moto checks a write's condition and
    then writes, with nothing in between held: two requests at once can both pass one
    condition. DynamoDB's conditional writes are atomic; the local stage's are too."""

    def atomic(backend: Any, table_name: Any = "", *args: Any, **kwargs: Any) -> Any:
        plan = faults.active()
        if plan is not None and faults.decide(
            faults.Fault.DYNAMODB_THROTTLED,
            faults.stable_key(write.__name__, table_name, args, kwargs),
        ):
            raise ThroughputExceeded()
        with _table_writes:
            try:
                return write(backend, table_name, *args, **kwargs)
            except (
                dynamodb_exceptions.ConditionalCheckFailed,
                dynamodb_exceptions.TransactionCanceledException,
            ):
                if plan is not None:
                    plan.observe(faults.OBSERVED_RACES)
                raise

    return atomic


SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


def _transient_s3_failures(app: Any) -> Any:
    """moto's WSGI app, answering an S3 request now and then with 503 SlowDown under a chaos
    run (the SDKs retry it), as S3 does under load."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        signed = environ.get("HTTP_AUTHORIZATION", "") + environ.get("QUERY_STRING", "")
        if "/s3/aws4_request" in signed or "%2Fs3%2Faws4_request" in signed:
            request = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            if faults.decide(faults.Fault.S3_TRANSIENT, request):
                start_response("503 Slow Down", [("Content-Type", "application/xml")])
                return [SLOW_DOWN]
        return app(environ, start_response)

    return serve


def _remove_emulation() -> None:
    with _lock:
        _patches.restore()
        _originals.clear()
    state_manager.unset_transition(RUN_MODEL)


def _bucket_permission(bucket: Any, action: str, resource: str) -> Any:
    """What a bucket's policy says to a request of the local account, evaluated by the
    platform's IAM evaluator (moto applies a statement's effect whatever its conditions say,
    so every TLS-only bucket would refuse everything). Requests count as made over TLS, as
    every SDK call in AWS is; the local endpoint is plain HTTP on the loopback only."""
    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    request = Request(
        action,
        resource,
        Principal("AWS", f"arn:aws:iam::{bucket.account_id}:root"),
        {"aws:SecureTransport": "true"},
    )
    decision = evaluate([json.loads(bucket.policy)], request).decision
    if decision is Decision.EXPLICIT_DENY:
        return PermissionResult.DENIED
    return PermissionResult.PERMITTED if decision is Decision.ALLOW else PermissionResult.NEUTRAL


def _start_job_run_with_queuing(job: Any, **arguments: Any) -> str:
    """StartJobRun as Glue does it when the job queues runs: past the concurrency limit the
    run waits (WAITING) instead of failing with ConcurrentRunsExceededException."""
    start = _originals["start_job_run"]
    if faults.decide(faults.Fault.GLUE_REFUSED, faults.stable_key(job.name, arguments)):
        raise glue_exceptions.ConcurrentRunsExceededException(
            f"Concurrent runs exceeded for {job.name} (an injected fault)"
        )
    if not getattr(job, QUEUING_ATTRIBUTE, False):
        return start(job, **arguments)
    with _lock:
        limit = job.execution_property.get("MaxConcurrentRuns", 1)
        active = sum(1 for run in job.job_runs if run.status in ACTIVE_STATES)
        saved = job.execution_property
        job.execution_property = {**saved, "MaxConcurrentRuns": NEVER}
        try:
            run_id = start(job, **arguments)
        finally:
            job.execution_property = saved
        if active >= limit:
            job.job_runs[-1].status = WAITING
        return run_id


def _run_as_dict(run: Any) -> dict[str, Any]:
    """A run as GetJobRun returns it, with what the executor recorded at its end."""
    described = _originals["as_dict"](run)
    for field, attribute in (
        ("ErrorMessage", "error_message"),
        ("ExecutionTime", "execution_seconds"),
    ):
        value = getattr(run, attribute, None)
        if value is not None:
            described[field] = value
    return described


def set_dead_letter_target(account: str, region: str, function_name: str, arn: str) -> None:
    """A function's ``DeadLetterConfig`` target in the local AWS (moto does not keep it)."""
    function = lambda_models.lambda_backends[account][region].get_function(function_name)
    setattr(function, DEAD_LETTER_ATTRIBUTE, arn)


def dead_letter_target(account: str, region: str, function_name: str) -> str | None:
    function = lambda_models.lambda_backends[account][region].get_function(function_name)
    return getattr(function, DEAD_LETTER_ATTRIBUTE, None)


def set_run_queuing(account: str, region: str, job_name: str, enabled: bool) -> None:
    """Glue's ``JobRunQueuingEnabled`` on a job of the local AWS (moto does not keep it)."""
    job = glue_models.glue_backends[account][region].jobs[job_name]
    setattr(job, QUEUING_ATTRIBUTE, enabled)
