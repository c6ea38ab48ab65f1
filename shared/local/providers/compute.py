"""Providers of Lambda functions and what configures them, Glue jobs, and CDK's bucket
deployments (the custom resource that copies a job's code into the assets bucket)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from shared.deployability.stage_templates import Resource
from shared.local.aws import set_dead_letter_target, set_run_queuing
from shared.local.providers.base import DeployContext, Properties, as_json
from shared.local.template_walker import Created

FUNCTION_SETTINGS = (
    "Description",
    "Timeout",
    "MemorySize",
    "Architectures",
    "LoggingConfig",
    "TracingConfig",
    "EphemeralStorage",
    "KmsKeyArn",
)
JOB_SETTINGS = (
    "DefaultArguments",
    "NonOverridableArguments",
    "Description",
    "ExecutionProperty",
    "GlueVersion",
    "MaxRetries",
    "MaxCapacity",
    "NumberOfWorkers",
    "WorkerType",
    "SecurityConfiguration",
    "Timeout",
    "NotificationProperty",
    "ExecutionClass",
    "Connections",
    "LogUri",
)
MAPPING_SETTINGS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "Enabled",
    "FunctionResponseTypes",
    "ScalingConfig",
    "FilterCriteria",
    "StartingPosition",
    "MaximumRetryAttempts",
    "BisectBatchOnFunctionError",
    "DestinationConfig",
)


def function(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = ctx.name(resource)
    code = dict(props["Code"])
    if "ZipFile" in code:
        code = {"ZipFile": _inline_zip(code["ZipFile"], props["Handler"])}
    arguments: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": props["Runtime"],
        "Role": props["Role"],
        "Handler": props["Handler"],
        "Code": code,
    }
    arguments |= {key: props[key] for key in FUNCTION_SETTINGS if key in props}
    if "Environment" in props:
        arguments["Environment"] = {"Variables": props["Environment"].get("Variables", {})}
    if layers := props.get("Layers"):
        arguments["Layers"] = layers
    if tags := props.tags():
        arguments["Tags"] = tags
    lam = ctx.client("lambda")
    arn = lam.create_function(**arguments)["FunctionArn"]
    if target := props.get("DeadLetterConfig", {}).get("TargetArn"):
        set_dead_letter_target(ctx.account, ctx.region, name, target)
    if (reserved := props.get("ReservedConcurrentExecutions")) is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    return Created(name, {"Arn": arn})


def _inline_zip(source: str, handler: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{handler.rpartition('.')[0]}.py", source)
    return buffer.getvalue()


def layer_version(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {"LayerName": ctx.name(resource), "Content": props["Content"]}
    for key in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
        if value := props.get(key):
            arguments[key] = value
    arn = ctx.client("lambda").publish_layer_version(**arguments)["LayerVersionArn"]
    return Created(arn, {"LayerVersionArn": arn})


def permission(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments = {
        "FunctionName": props["FunctionName"],
        "StatementId": resource.logical_id,
        "Action": props["Action"],
        "Principal": props["Principal"],
    }
    for key in ("SourceArn", "SourceAccount", "PrincipalOrgID", "EventSourceToken"):
        if value := props.get(key):
            arguments[key] = value
    ctx.client("lambda").add_permission(**arguments)
    return Created(resource.logical_id)


def event_invoke_config(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {
        "FunctionName": props["FunctionName"],
        "Qualifier": props["Qualifier"],
    }
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if (value := props.get(key)) is not None:
            arguments[key] = value
    if destinations := props.get("DestinationConfig"):
        arguments["DestinationConfig"] = destinations
    ctx.client("lambda").put_function_event_invoke_config(**arguments)
    return Created(ctx.name(resource))


def event_source_mapping(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {
        "FunctionName": props["FunctionName"],
        "EventSourceArn": props["EventSourceArn"],
    }
    arguments |= {key: props[key] for key in MAPPING_SETTINGS if key in props}
    if tags := props.tags():
        arguments["Tags"] = tags
    mapping = ctx.client("lambda").create_event_source_mapping(**arguments)
    return Created(mapping["UUID"], {"Id": mapping["UUID"]})


def glue_job(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = ctx.name(resource)
    arguments: dict[str, Any] = {"Name": name, "Role": props["Role"], "Command": props["Command"]}
    arguments |= {key: props[key] for key in JOB_SETTINGS if key in props}
    if tags := props.tags():
        arguments["Tags"] = tags
    ctx.client("glue").create_job(**arguments)
    set_run_queuing(ctx.account, ctx.region, name, bool(props.get("JobRunQueuingEnabled")))
    return Created(name)


def bucket_deployment(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    """``Custom::CDKBucketDeployment``: each source zip's files under the destination
    prefix; with ``Prune`` (the default), objects under the prefix that no source has go."""
    s3 = ctx.client("s3")
    destination = props["DestinationBucketName"]
    prefix = props.get("DestinationBucketKeyPrefix", "")
    if not props.get("Extract", True):
        raise NotImplementedError("a bucket deployment with Extract: false")
    written: set[str] = set()
    for bucket, key in zip(props["SourceBucketNames"], props["SourceObjectKeys"], strict=True):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                target = f"{prefix}{member.filename}"
                s3.put_object(Bucket=destination, Key=target, Body=archive.read(member))
                written.add(target)
    if props.get("Prune", True):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=destination, Prefix=prefix)
        stale = [o["Key"] for p in pages for o in p.get("Contents", []) if o["Key"] not in written]
        for stale_key in stale:
            s3.delete_object(Bucket=destination, Key=stale_key)
    props.only_at_deletion(
        "ServiceToken", "RetainOnDelete", "OutputObjectKeys", "WaitForDistributionInvalidation"
    )
    return Created(
        ctx.name(resource),
        {"DestinationBucketArn": f"arn:aws:s3:::{destination}", "SourceObjectKeys": as_json([])},
    )
