"""Providers of queues, topics, EventBridge rules, schedules and dashboards."""

from __future__ import annotations

from typing import Any

from shared.deployability.stage_templates import Resource
from shared.local.providers.base import DeployContext, Properties, as_json, stringified
from shared.local.template_walker import Created

QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)
TOPIC_ATTRIBUTES = ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
TARGET_FIELDS = (
    "Arn",
    "Id",
    "Input",
    "InputPath",
    "InputTransformer",
    "RetryPolicy",
    "DeadLetterConfig",
    "RoleArn",
    "SqsParameters",
)


def queue(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    sqs = ctx.client("sqs")
    name = ctx.name(resource)
    if props.get("FifoQueue") and not name.endswith(".fifo"):
        name = f"{name[:75]}.fifo"
    attributes = {k: props[k] for k in QUEUE_ATTRIBUTES if k in props}
    arguments: dict[str, Any] = {"QueueName": name, "Attributes": stringified(attributes)}
    if tags := props.tags():
        arguments["tags"] = tags
    url = sqs.create_queue(**arguments)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def queue_policy(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    policy = as_json(props["PolicyDocument"])
    for url in props["Queues"]:
        ctx.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    return Created(ctx.name(resource))


def topic(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    sns = ctx.client("sns")
    name = ctx.name(resource)
    attributes = {k: props[k] for k in TOPIC_ATTRIBUTES if k in props}
    arguments: dict[str, Any] = {"Name": name, "Attributes": stringified(attributes)}
    if tags := props.tag_list():
        arguments["Tags"] = tags
    arn = sns.create_topic(**arguments)["TopicArn"]
    for subscription in props.get("Subscription", []):
        sns.subscribe(
            TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"]
        )
    return Created(arn, {"TopicArn": arn, "TopicName": name})


def topic_policy(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    policy = as_json(props["PolicyDocument"])
    for arn in props["Topics"]:
        ctx.client("sns").set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=policy
        )
    return Created(ctx.name(resource))


def subscription(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    attributes = {
        k: props[k]
        for k in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")
        if k in props
    }
    arn = ctx.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=stringified(attributes),
    )["SubscriptionArn"]
    return Created(arn)


def rule(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    events = ctx.client("events")
    name = ctx.name(resource)
    bus = props.get("EventBusName", "default")
    arguments: dict[str, Any] = {"Name": name, "EventBusName": bus}
    arguments["State"] = props.get("State", "ENABLED")
    if pattern := props.get("EventPattern"):
        arguments["EventPattern"] = as_json(pattern)
    for key in ("ScheduleExpression", "Description", "RoleArn"):
        if value := props.get(key):
            arguments[key] = value
    if tags := props.tag_list():
        arguments["Tags"] = tags
    arn = events.put_rule(**arguments)["RuleArn"]
    targets = [
        {k: _target_value(k, v) for k, v in target.items() if k in TARGET_FIELDS}
        for target in props.get("Targets", [])
    ]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return Created(name, {"Arn": arn})


def _target_value(key: str, value: Any) -> Any:
    return as_json(value) if key == "Input" else value


def schedule_group(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = ctx.name(resource)
    arn = ctx.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
    return Created(name, {"Arn": arn})


def schedule(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = ctx.name(resource)
    arguments: dict[str, Any] = {
        "Name": name,
        "ScheduleExpression": props["ScheduleExpression"],
        "FlexibleTimeWindow": props["FlexibleTimeWindow"],
        "Target": props["Target"],
    }
    for key in ("GroupName", "ScheduleExpressionTimezone", "State", "Description"):
        if value := props.get(key):
            arguments[key] = value
    arn = ctx.client("scheduler").create_schedule(**arguments)["ScheduleArn"]
    return Created(name, {"Arn": arn})


def dashboard(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = ctx.name(resource)
    ctx.client("cloudwatch").put_dashboard(
        DashboardName=name, DashboardBody=as_json(props["DashboardBody"])
    )
    props.tags()
    return Created(name)
