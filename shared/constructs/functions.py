"""The platform's Lambda functions: what every one shares, and how one is built from an
application's handler (code bundled with Powertools, asynchronous retries ending in an
encrypted dead-letter queue)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Size
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared import function_job
from shared.application import (
    FUNCTION_JOB_PYTHON,
    FunctionJob,
    JobStateHandler,
    ObjectCreatedHandler,
    QueueHandler,
    ServiceFunction,
)
from shared.bundling import lambda_bundle, locked_versions, python_layer
from shared.compliance import acknowledge
from shared.constructs.logging import encrypted_log_group
from shared.naming import StageNaming

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime Lambda offers (the spec's 3.9 is past its end of support)."""

FUNCTION_JOB_RUNTIMES = {"3.13": lambda_.Runtime.PYTHON_3_13}
"""The runtime of function jobs, by ``FUNCTION_JOB_PYTHON``: the Python their layer's
compiled wheels are built for."""

POWERTOOLS_PACKAGES = ("aws_lambda_powertools", "typing_extensions")
"""Shipped inside each function's bundle (pure Python, versions from requirements.lock)."""

ASYNC_RETRIES = 2
"""Lambda retries a failed asynchronous invocation twice, then hands it to the dead-letter
queue (the local event bus does the same)."""

DEAD_LETTER_RETENTION = Duration.days(14)
"""How long a dead-lettered event waits to be re-driven: SQS's longest retention."""

DEFAULT_TIMEOUT = Duration.seconds(30)
DEFAULT_MEMORY_MB = 128


def dead_letter_queue(scope: Construct, construct_id: str, name: str, *, holds: str) -> sqs.Queue:
    """An encrypted, TLS-only queue for the events a function could not handle; ``holds``
    says which, for the acknowledgment that the queue has no dead-letter queue of its own."""
    queue = sqs.Queue(
        scope,
        construct_id,
        queue_name=name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION,
    )
    acknowledge(queue, "SQS3", f"This queue is itself a dead-letter queue: it receives {holds}.")
    return queue


def handler_function(
    scope: Construct,
    construct_id: str,
    handler: ObjectCreatedHandler | QueueHandler | JobStateHandler | ServiceFunction,
    *,
    description: str,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    dead_letters: sqs.IQueue,
    modules: Sequence[str] = (),
    timeout: Duration = DEFAULT_TIMEOUT,
    memory_size: int = DEFAULT_MEMORY_MB,
    max_event_age: Duration | None = None,
    reserved_concurrency: int | None = None,
) -> lambda_.Function:
    """The function running ``handler``: its module, the repository ``modules`` it imports
    and Powertools bundled; its environment from the handler; failed asynchronous
    invocations retried, then sent to ``dead_letters``; at most ``reserved_concurrency``
    invocations at once."""
    bundle = lambda_bundle(
        handler.function_name, handler.module, POWERTOOLS_PACKAGES, modules=modules
    )
    return lambda_.Function(
        scope,
        construct_id,
        function_name=handler.function_name,
        description=description,
        runtime=LAMBDA_RUNTIME,
        handler=f"{handler.module.stem}.{handler.handler.rsplit(':', 1)[1]}",
        code=lambda_.Code.from_asset(str(bundle)),
        role=role,
        timeout=timeout,
        memory_size=memory_size,
        log_group=log_group,
        retry_attempts=ASYNC_RETRIES,
        max_event_age=max_event_age,
        on_failure=destinations.SqsDestination(dead_letters),
        reserved_concurrent_executions=reserved_concurrency,
        environment=dict(handler.environment),
    )


def object_created(
    bucket: str, *, prefix: str | None = None, excluded_prefix: str | None = None
) -> events.EventPattern:
    """The EventBridge pattern of S3's "Object Created" events of ``bucket``: keys under
    ``prefix`` only, or keys outside ``excluded_prefix``."""
    key: list[dict[str, Any]] = []
    if prefix is not None:
        key.append({"prefix": prefix})
    if excluded_prefix is not None:
        key.append({"anything-but": {"prefix": excluded_prefix}})
    detail: dict[str, Any] = {"bucket": {"name": [bucket]}}
    if key:
        detail["object"] = {"key": key}
    return events.EventPattern(source=["aws.s3"], detail_type=["Object Created"], detail=detail)


def function_target(
    function: lambda_.IFunction,
    dead_letters: sqs.IQueue,
    *,
    max_event_age: Duration | None = None,
) -> targets.LambdaFunction:
    """An EventBridge target invoking ``function``; events EventBridge cannot deliver after
    its retries go to the same dead-letter queue as the function's own failures."""
    return targets.LambdaFunction(
        function,
        dead_letter_queue=dead_letters,
        retry_attempts=ASYNC_RETRIES,
        max_event_age=max_event_age,
    )


def job_function(
    scope: Construct,
    construct_id: str,
    job: FunctionJob,
    *,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    dead_letters: sqs.IQueue,
    max_event_age: Duration | None = None,
) -> lambda_.Function:
    """The function running ``job``: the platform's function-job entry point, the job's
    script and packages and Powertools bundled, its compiled libraries in a layer built for
    its Python at the locked versions; memory, timeout, ``/tmp`` and concurrency from the
    job; failed runs retried, then sent to ``dead_letters``."""
    runtime = FUNCTION_JOB_RUNTIMES[FUNCTION_JOB_PYTHON]
    bundle = lambda_bundle(
        job.function_name,
        Path(function_job.__file__),
        POWERTOOLS_PACKAGES,
        modules=(*job.packages, job.script_module),
    )
    pins = ", ".join(f"{k}=={v}" for k, v in locked_versions(job.layer_packages).items())
    layer = lambda_.LayerVersion(
        scope,
        f"{construct_id}Libraries",
        code=lambda_.Code.from_asset(str(python_layer(job.layer_packages, FUNCTION_JOB_PYTHON))),
        compatible_runtimes=[runtime],
        compatible_architectures=[lambda_.Architecture.X86_64],
        description=f"{pins} for Python {FUNCTION_JOB_PYTHON} (requirements.lock)",
    )
    function = lambda_.Function(
        scope,
        construct_id,
        function_name=job.function_name,
        description=job.description,
        runtime=runtime,
        architecture=lambda_.Architecture.X86_64,
        handler=f"{Path(function_job.__file__).stem}.handler",
        code=lambda_.Code.from_asset(str(bundle)),
        layers=[layer],
        role=role,
        timeout=Duration.seconds(job.timeout_seconds),
        memory_size=job.memory_mb,
        ephemeral_storage_size=Size.mebibytes(job.ephemeral_storage_mb),
        reserved_concurrent_executions=job.reserved_concurrency,
        log_group=log_group,
        retry_attempts=ASYNC_RETRIES,
        max_event_age=max_event_age,
        on_failure=destinations.SqsDestination(dead_letters),
        environment=job.environment,
    )
    acknowledge(
        function,
        "L1",
        f"A function job runs Python {FUNCTION_JOB_PYTHON} (supported by Lambda until 2029), "
        "the Python its layer's compiled wheels are built for and its package is tested on "
        "(tests/integration); it moves to a newer runtime together with that test.",
    )
    return function


def lambda_role(
    scope: Construct,
    construct_id: str,
    *,
    naming: StageNaming,
    key: kms.IKey,
    retention_days: int,
    role_name: str,
    function_name: str,
    does: str,
    statements: Sequence[iam.PolicyStatement],
    findings: Sequence[str] = (),
    reason: str = "",
) -> tuple[iam.IRole, logs.LogGroup]:
    """A role only Lambda may assume, with one managed policy (``statements`` and the
    function's own log streams), and the function's log group encrypted with ``key``.

    ``findings`` are the wildcard resources of ``statements``, acknowledged with ``reason``
    (cdk-nag IAM5); the log streams' wildcard is acknowledged here.
    """
    log_group_name = naming.lambda_log_group(function_name)
    log_group_arn = naming.log_group_arn(log_group_name)
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        role_name=role_name,
        description=f"Runs {function_name}: {does}.",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
    )
    policy = iam.ManagedPolicy(
        scope,
        f"{construct_id}Policy",
        description=f"What {function_name} may do.",
        roles=[role],
        statements=[
            *statements,
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group_arn, f"{log_group_arn}:log-stream:*"],
            ),
        ],
    )
    acknowledge(
        policy,
        "IAM5",
        (f"{reason} " if reason else "") + "Log streams of the function's own log group are "
        "created at run time with generated names.",
        findings=[f"Resource::{f}" for f in (*findings, f"{log_group_arn}:log-stream:*")],
    )
    log_group = encrypted_log_group(
        scope, f"{construct_id}LogGroup", name=log_group_name, days=retention_days, key=key
    )
    return role.without_policy_updates(), log_group
