"""Each Lambda function's and Glue job's role allows the AWS calls its code makes.

A handler or job module declares its calls once, beside the code that makes them, as
``AWS_CALLS``: ``(action, resource)`` pairs of plain strings (and, where the role's policy has
a condition on it, a third item: the request context the call carries, such as
``{"cloudwatch:namespace": ...}``), so that a Lambda bundle needs no import for them. A
resource is an ARN template (``*`` for actions that take none) with these placeholders:

- ``{partition}``, ``{region}``, ``{account}``: the stage's;
- ``{env.NAME}``: the function's environment variable ``NAME`` (Lambda);
- ``{arg.NAME}``: the job's default argument ``--NAME`` (Glue, or a function job's
  ``JOB_DEFAULT_ARGUMENTS``); an ``s3://bucket/prefix`` value
  also gives ``{arg.NAME_arn}`` (``arn:...:s3:::bucket/prefix``) and ``{arg.NAME_bucket_arn}``;
- ``{stage.NAME}``: a name of the stage's naming rule (``{stage.input_bucket}``).

The checker resolves them from the synthesized template of the function or job (the values the
code reads at run time), adds what the Lambda service does with the role (writing the function's
log group) and the keys behind encrypted topics, and evaluates every call against the role's
policies from the templates of both apps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from shared import function_job
from shared.application import (
    Definition,
    JobStateHandler,
    ObjectCreatedHandler,
    QueueHandler,
    ServiceFunction,
)
from shared.deployability.deliveries import glue_log_groups, key_policy, role_policy_documents
from shared.deployability.iam_policy import Principal, Request, evaluate
from shared.deployability.stage_templates import Resource, StageTemplates
from shared.naming import StageNaming, partition

DECLARATION = "AWS_CALLS"
LAMBDA_LOGGING = ("logs:CreateLogStream", "logs:PutLogEvents")


@dataclass(frozen=True)
class RuntimeCall:
    """One call the code of ``owner`` makes with ``role_arn``."""

    owner: str
    role_arn: str
    request: Request

    def describe(self) -> str:
        return (
            f"{self.owner}: its role {self.role_arn.rsplit('/', 1)[-1]} may not "
            f"{self.request.action} on {self.request.resource}"
        )


class DeclarationError(LookupError):
    """A module declares no calls, or a placeholder names nothing."""


Declared = tuple[str, str] | tuple[str, str, Mapping[str, str]]


def declared_calls(dotted: str) -> tuple[Declared, ...]:
    """The ``AWS_CALLS`` of a module (``package.module``, or ``package.module:function``)."""
    module = import_module(dotted.partition(":")[0])
    calls = getattr(module, DECLARATION, None)
    if calls is None:
        raise DeclarationError(f"{module.__name__} declares no {DECLARATION}")
    return tuple(calls)


def runtime_calls(
    stage: StageTemplates, naming: StageNaming, applications: Sequence[Definition]
) -> list[RuntimeCall]:
    """Every call the stage's functions and jobs make, with the role they make it with."""
    functions = {stage.name(f): f for f in stage.of_type("AWS::Lambda::Function")}
    jobs = {stage.name(j): j for j in stage.of_type("AWS::Glue::Job")}
    found: list[RuntimeCall] = []
    for application in applications:
        handlers: list[ObjectCreatedHandler | QueueHandler | JobStateHandler | ServiceFunction] = [
            *application.handlers,
            *application.queue_handlers,
            *application.job_state_handlers,
            *application.functions,
        ]
        for handler in handlers:
            function = functions[handler.function_name]
            found += _function_calls(stage, naming, function, handler.handler)
        for job in application.jobs:
            found += _job_calls(stage, naming, jobs[job.name], job.script_module)
        for run_on_lambda in application.function_jobs:
            function = functions[run_on_lambda.function_name]
            found += _function_calls(stage, naming, function, run_on_lambda.script_module)
    return found


def problems(stage: StageTemplates, calls: Sequence[RuntimeCall]) -> list[str]:
    """The calls their role's policies (or, for a key, its key policy) do not allow."""
    found = []
    for call in calls:
        policies = role_policy_documents(stage, call.role_arn)
        if not evaluate(policies, call.request).allowed:
            found.append(call.describe())
            continue
        key = stage.by_arn.get(call.request.resource)
        if key is not None and key.type == "AWS::KMS::Key":
            as_role = Request(
                call.request.action, call.request.resource, Principal("AWS", call.role_arn)
            )
            if not evaluate(key_policy(stage, key), as_role).allowed:
                found.append(f"{call.describe()} (the key policy does not allow it)")
    return sorted(set(found))


def _function_calls(
    stage: StageTemplates, naming: StageNaming, function: Resource, handler: str
) -> list[RuntimeCall]:
    properties = stage.resolve(function.properties, function.stack)
    role = properties["Role"]
    environment = properties.get("Environment", {}).get("Variables", {})
    # a function job's default arguments, as its entry point gives them to its script
    arguments = json.loads(environment.get(function_job.ARGUMENTS_VARIABLE, "{}"))
    values = _namespace(
        naming, env=environment, arg={k.removeprefix("--"): v for k, v in arguments.items()}
    )
    calls = [
        _call(stage.name(function), role, declared, values) for declared in declared_calls(handler)
    ]
    log_group = properties.get("LoggingConfig", {}).get("LogGroup")
    if log_group:
        group = stage.resource_named("AWS::Logs::LogGroup", log_group)
        streams = f"{stage.arn(group)}:log-stream:*"
        calls += [
            RuntimeCall(stage.name(function), role, Request(action, streams))
            for action in LAMBDA_LOGGING
        ]
    return calls + list(_topic_keys(stage, calls))


def _job_calls(
    stage: StageTemplates, naming: StageNaming, job: Resource, script_module: str
) -> list[RuntimeCall]:
    properties = stage.resolve(job.properties, job.stack)
    role = str(properties["Role"])
    if not role.startswith("arn:"):
        role = naming.role_arn(role)
    arguments = {k.removeprefix("--"): v for k, v in properties.get("DefaultArguments", {}).items()}
    values = _namespace(naming, arg=arguments)
    calls = [
        _call(stage.name(job), role, declared, values) for declared in declared_calls(script_module)
    ]
    calls += [
        RuntimeCall(stage.name(job), role, Request(action, resource))
        for action, resource in _glue_service_calls(stage, job, properties, arguments)
    ]
    return calls + list(_topic_keys(stage, calls))


def _glue_service_calls(
    stage: StageTemplates,
    job: Resource,
    properties: Mapping[str, Any],
    arguments: Mapping[str, Any],
) -> Iterator[tuple[str, str]]:
    """What Glue does with the job's role: read the script and libraries, write the logs
    (encrypted with the security configuration's key), encrypt bookmarks with it."""
    where = partition(job.stack.region)
    code = [
        properties["Command"]["ScriptLocation"],
        *str(arguments.get("extra-py-files", "")).split(","),
    ]
    for uri in filter(None, code):
        yield "s3:GetObject", f"arn:{where}:s3:::{uri.removeprefix('s3://')}"
    for name in glue_log_groups(stage, job):
        group = f"arn:{where}:logs:{job.stack.region}:{job.stack.account}:log-group:{name}"
        yield "logs:AssociateKmsKey", group
        for action in LAMBDA_LOGGING:
            yield action, f"{group}:log-stream:*"
    configuration = properties.get("SecurityConfiguration")
    if configuration is None:
        return
    found = stage.resource_named("AWS::Glue::SecurityConfiguration", configuration)
    encryption = stage.resolve(found.properties["EncryptionConfiguration"], found.stack)
    keys = {
        encryption.get("CloudWatchEncryption", {}).get("KmsKeyArn"),
        encryption.get("JobBookmarksEncryption", {}).get("KmsKeyArn"),
    }
    for key in filter(None, keys):
        for action in ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"):
            yield action, key


def _topic_keys(stage: StageTemplates, calls: Sequence[RuntimeCall]) -> Iterator[RuntimeCall]:
    """Publishing to an encrypted topic also needs its key."""
    for call in calls:
        topic = stage.by_arn.get(call.request.resource)
        if call.request.action != "sns:Publish" or topic is None:
            continue
        key_id = topic.properties.get("KmsMasterKeyId")
        if key_id is None:
            continue
        key = stage.resolve(key_id, topic.stack)
        key_arn = key if str(key).startswith("arn:") else _key_arn(stage, topic, key)
        # SNS calls KMS for the publisher: the request carries kms:ViaService
        through_sns = {"kms:ViaService": f"sns.{topic.stack.region}.amazonaws.com"}
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            yield RuntimeCall(
                call.owner, call.role_arn, Request(action, key_arn, context=through_sns)
            )


def _key_arn(stage: StageTemplates, topic: Resource, key_id: Any) -> str:
    key = next(k for k in stage.of_type("AWS::KMS::Key") if stage.key_id(k) == key_id)
    return stage.arn(key)


def _namespace(naming: StageNaming, **groups: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "partition": partition(naming.region),
        "region": naming.region,
        "account": naming.account,
        "stage": naming,
    }
    for group, entries in groups.items():
        fields = {k: str(v) for k, v in entries.items()}
        for key, value in list(fields.items()):
            if value.startswith("s3://"):
                path = value.removeprefix("s3://")
                fields[f"{key}_arn"] = f"arn:{values['partition']}:s3:::{path}"
                fields[f"{key}_bucket_arn"] = f"arn:{values['partition']}:s3:::{path.split('/')[0]}"
        values[group] = SimpleNamespace(**fields)
    return values


def _call(owner: str, role: str, declared: Declared, values: Mapping[str, Any]) -> RuntimeCall:
    action, resource, *context = declared
    request = Request(action, _fill(resource, values), context=context[0] if context else {})
    return RuntimeCall(owner, role, request)


def _fill(template: str, values: Mapping[str, Any]) -> str:
    try:
        return template.format_map(values)
    except (AttributeError, KeyError) as error:
        raise DeclarationError(f"{template!r}: {error} is neither set nor a stage name") from None
