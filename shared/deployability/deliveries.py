"""Every service-to-service delivery the stage templates wire up, checked against the receiving
resource's policy: alarm actions -> SNS, EventBridge rules -> their targets and dead-letter
queues, Lambda destinations, S3 -> EventBridge, CloudWatch Logs and the Glue security
configuration -> KMS, and SNS/SQS -> their KMS keys.

A delivery must be allowed with the sender's ``aws:SourceAccount``/``aws:SourceArn`` and
refused when those name another account (the confused-deputy check).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shared.deployability.iam_policy import PolicyDocument, Principal, Request, evaluate
from shared.deployability.resource_policies import (
    bucket_policies,
    function_policies,
    key_policy,
    queue_policies,
    role_policy_documents,
    topic_policies,
)
from shared.deployability.service_reference import resource_type
from shared.deployability.stage_templates import Resource, StageTemplates, values_at
from shared.naming import partition

FOREIGN_ACCOUNT = "999999999999"
ALARM_ACTIONS = ("AlarmActions[]", "OKActions[]", "InsufficientDataActions[]")


@dataclass(frozen=True)
class Delivery:
    """One wire: who sends (``sender``, a resource path), what request, checked against which
    policies (``receiver`` names them)."""

    sender: str
    receiver: str
    request: Request
    policies: tuple[PolicyDocument, ...]
    confused_deputy_checked: bool = True

    def describe(self) -> str:
        principal = self.request.principal.identifier if self.request.principal else "?"
        return (
            f"{self.sender} -> {self.receiver}: {principal} may not {self.request.action} on "
            f"{self.request.resource}"
        )


def problems(stage: StageTemplates) -> list[str]:
    """Every delivery the receiving policy refuses, or allows from another account too."""
    found = []
    for delivery in deliveries(stage):
        if not evaluate(delivery.policies, delivery.request).allowed:
            found.append(delivery.describe())
        elif (
            delivery.confused_deputy_checked
            and evaluate(delivery.policies, _from_elsewhere(delivery.request)).allowed
        ):
            found.append(
                f"{delivery.sender} -> {delivery.receiver}: {delivery.request.action} is allowed "
                "from any account (no aws:SourceAccount or aws:SourceArn condition)"
            )
    return sorted(set(found)) + missing_event_sources(stage)


def deliveries(stage: StageTemplates) -> list[Delivery]:
    """Every service-to-service delivery of the stage."""
    return [
        *_alarm_actions(stage),
        *_rule_targets(stage),
        *_log_group_keys(stage),
        *_glue_log_keys(stage),
        *_access_logs(stage),
        *_trails(stage),
    ]


def missing_event_sources(stage: StageTemplates) -> list[str]:
    """Rules that listen for a bucket's S3 events, where the bucket does not send them."""
    buckets = {stage.name(b): b for b in stage.of_type("AWS::S3::Bucket")}
    found = []
    for rule in stage.of_type("AWS::Events::Rule"):
        pattern = rule.properties.get("EventPattern", {})
        if "aws.s3" not in pattern.get("source", []):
            continue
        for name in pattern.get("detail", {}).get("bucket", {}).get("name", []):
            bucket = buckets.get(name)
            enabled = bucket is not None and values_at(
                bucket.properties,
                "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled",
            ) == [True]
            if not enabled:
                found.append(f"{rule.path}: bucket {name} does not send its events to EventBridge")
    return found


def _from_elsewhere(request: Request) -> Request:
    context = {
        key: (
            FOREIGN_ACCOUNT
            if key == "aws:SourceAccount"
            else str(value).replace(_account_of(request), FOREIGN_ACCOUNT)
        )
        for key, value in request.context.items()
    }
    return replace(request, context=context)


def _account_of(request: Request) -> str:
    return str(request.context.get("aws:SourceAccount", "")) or "-"


def _resource_by_reference(
    stage: StageTemplates, value: Any, resource: Resource
) -> Resource | None:
    arn = stage.resolve(value, resource.stack)
    return stage.by_arn.get(str(arn).removesuffix(":*"))


def _key_of(stage: StageTemplates, resource: Resource, path: str) -> Resource | None:
    values = values_at(resource.properties, path)
    if not values:
        return None
    found = _resource_by_reference(stage, values[0], resource)
    if found is None:
        key_id = stage.resolve(values[0], resource.stack)
        found = next((k for k in stage.of_type("AWS::KMS::Key") if stage.key_id(k) == key_id), None)
    return found


def _alarm_actions(stage: StageTemplates) -> Iterator[Delivery]:
    for alarm in stage.of_type("AWS::CloudWatch::Alarm"):
        source = {"aws:SourceAccount": alarm.stack.account, "aws:SourceArn": stage.arn(alarm)}
        cloudwatch = Principal("Service", "cloudwatch.amazonaws.com")
        for path in ALARM_ACTIONS:
            for action in values_at(alarm.properties, path):
                topic = _resource_by_reference(stage, action, alarm)
                if topic is None or topic.type != "AWS::SNS::Topic":
                    continue
                arn = stage.arn(topic)
                request = Request("sns:Publish", arn, cloudwatch, source)
                yield Delivery(alarm.path, topic.path, request, topic_policies(stage, topic))
                yield from _encrypted_by(
                    stage,
                    alarm,
                    receiver=topic,
                    path="KmsMasterKeyId",
                    principal=cloudwatch,
                    source=source,
                )


def _encrypted_by(
    stage: StageTemplates,
    sender: Resource,
    *,
    receiver: Resource,
    path: str,
    principal: Principal,
    source: dict[str, str],
) -> Iterator[Delivery]:
    key = _key_of(stage, receiver, path)
    if key is None:
        return
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        request = Request(action, stage.arn(key), principal, source)
        yield Delivery(
            sender.path, f"{key.path} (key of {receiver.path})", request, key_policy(stage, key)
        )


def _rule_targets(stage: StageTemplates) -> Iterator[Delivery]:
    events = Principal("Service", "events.amazonaws.com")
    for rule in stage.of_type("AWS::Events::Rule"):
        source = {"aws:SourceAccount": rule.stack.account, "aws:SourceArn": stage.arn(rule)}
        for target in rule.properties.get("Targets", []):
            receiver = _resource_by_reference(stage, target["Arn"], rule)
            if receiver is not None:
                yield from _to(stage, rule, receiver, events, source)
            dead_letters = values_at(target, "DeadLetterConfig.Arn")
            if dead_letters:
                queue = _resource_by_reference(stage, dead_letters[0], rule)
                if queue is not None:
                    yield from _to(stage, rule, queue, events, source)
    for config in stage.of_type("AWS::Lambda::EventInvokeConfig"):
        yield from _destinations(stage, config)


def _to(
    stage: StageTemplates,
    sender: Resource,
    receiver: Resource,
    principal: Principal,
    source: dict[str, str],
) -> Iterator[Delivery]:
    arn = stage.arn(receiver)
    if receiver.type == "AWS::Lambda::Function":
        request = Request("lambda:InvokeFunction", arn, principal, source)
        yield Delivery(sender.path, receiver.path, request, function_policies(stage, receiver))
        return
    if receiver.type == "AWS::SQS::Queue":
        secure = {**source, "aws:SecureTransport": "true"}
        request = Request("sqs:SendMessage", arn, principal, secure)
        yield Delivery(sender.path, receiver.path, request, queue_policies(stage, receiver))
    elif receiver.type == "AWS::SNS::Topic":
        request = Request("sns:Publish", arn, principal, source)
        yield Delivery(sender.path, receiver.path, request, topic_policies(stage, receiver))
    else:
        return
    yield from _encrypted_by(
        stage, sender, receiver=receiver, path="KmsMasterKeyId", principal=principal, source=source
    )


def _destinations(stage: StageTemplates, config: Resource) -> Iterator[Delivery]:
    """Asynchronous invocation records go out with the function's own role."""
    function_name = stage.resolve(config.properties["FunctionName"], config.stack)
    function = next(
        (f for f in stage.of_type("AWS::Lambda::Function") if stage.name(f) == function_name), None
    )
    if function is None:
        return
    role_policies = role_policy_documents(
        stage, stage.resolve(function.properties["Role"], function.stack)
    )
    for path in (
        "DestinationConfig.OnFailure.Destination",
        "DestinationConfig.OnSuccess.Destination",
    ):
        for destination in values_at(config.properties, path):
            queue = _resource_by_reference(stage, destination, config)
            if queue is None or queue.type != "AWS::SQS::Queue":
                continue
            request = Request("sqs:SendMessage", stage.arn(queue))
            yield Delivery(
                function.path, queue.path, request, role_policies, confused_deputy_checked=False
            )


def _log_group_keys(stage: StageTemplates) -> Iterator[Delivery]:
    for group in stage.of_type("AWS::Logs::LogGroup"):
        key = _key_of(stage, group, "KmsKeyId")
        if key is None:
            continue
        yield _logs_delivery(stage, group.path, key, stage.arn(group), group)


def _logs_delivery(
    stage: StageTemplates, sender: str, key: Resource, log_group_arn: str, where: Resource
) -> Delivery:
    logs = Principal("Service", f"logs.{where.stack.region}.amazonaws.com")
    context = {
        "kms:EncryptionContext:aws:logs:arn": log_group_arn,
        "aws:SourceAccount": where.stack.account,
    }
    request = Request("kms:GenerateDataKey", stage.arn(key), logs, context)
    return Delivery(sender, key.path, request, key_policy(stage, key))


def glue_log_groups(stage: StageTemplates, job: Resource) -> list[str]:
    """The log groups a Glue 5 job writes to: ``<prefix>/output`` and ``<prefix>/error`` of its
    ``--custom-logGroup-prefix`` (``/aws-glue/jobs`` without one)."""
    arguments = stage.resolve(job.properties.get("DefaultArguments", {}), job.stack)
    prefix = arguments.get("--custom-logGroup-prefix", "/aws-glue/jobs")
    return [f"{prefix}/output", f"{prefix}/error"]


def _glue_log_keys(stage: StageTemplates) -> Iterator[Delivery]:
    configurations = {stage.name(c): c for c in stage.of_type("AWS::Glue::SecurityConfiguration")}
    for job in stage.of_type("AWS::Glue::Job"):
        configuration = configurations.get(str(job.properties.get("SecurityConfiguration")))
        if configuration is None:
            continue
        key = _key_of(
            stage, configuration, "EncryptionConfiguration.CloudWatchEncryption.KmsKeyArn"
        )
        if key is None:
            continue
        for name in glue_log_groups(stage, job):
            arn = resource_type("logs", "log-group").arn(
                partition(job.stack.region), job.stack.region, job.stack.account, name
            )
            yield _logs_delivery(stage, job.path, key, arn, job)


def undeclared(stage: StageTemplates, jobs: Sequence[Resource]) -> list[str]:
    """Glue log groups that no stack of the stage owns (Glue would create them unencrypted and
    never expiring)."""
    owned = {stage.name(g) for g in stage.of_type("AWS::Logs::LogGroup")}
    return [
        f"{job.path}: Glue writes to {name}, which no stack owns"
        for job in jobs
        for name in glue_log_groups(stage, job)
        if name not in owned
    ]


def _access_logs(stage: StageTemplates) -> Iterator[Delivery]:
    """S3 server access logs: the log bucket's policy lets S3 write each source's prefix."""
    logging = Principal("Service", "logging.s3.amazonaws.com")
    for bucket in stage.of_type("AWS::S3::Bucket"):
        configuration = stage.resolve(bucket.properties.get("LoggingConfiguration"), bucket.stack)
        if not configuration:
            continue
        target = configuration["DestinationBucketName"]
        prefix = configuration.get("LogFilePrefix", "")
        source = {"aws:SourceAccount": bucket.stack.account, "aws:SourceArn": stage.arn(bucket)}
        arn = f"arn:{partition(bucket.stack.region)}:s3:::{target}/{prefix}log-object"
        request = Request("s3:PutObject", arn, logging, {**source, "aws:SecureTransport": "true"})
        yield Delivery(bucket.path, f"bucket {target}", request, bucket_policies(stage, target))


def _trails(stage: StageTemplates) -> Iterator[Delivery]:
    """CloudTrail writes into its bucket (after checking its ACL) with its key."""
    cloudtrail = Principal("Service", "cloudtrail.amazonaws.com")
    for trail in stage.of_type("AWS::CloudTrail::Trail"):
        properties = stage.resolve(trail.properties, trail.stack)
        source = {"aws:SourceAccount": trail.stack.account, "aws:SourceArn": stage.arn(trail)}
        bucket = properties["S3BucketName"]
        policies = bucket_policies(stage, bucket)
        where = partition(trail.stack.region)
        logs = f"arn:{where}:s3:::{bucket}/AWSLogs/{trail.stack.account}/CloudTrail/log-object"
        writes = {
            **source,
            "s3:x-amz-acl": "bucket-owner-full-control",
            "aws:SecureTransport": "true",
        }
        yield Delivery(
            trail.path,
            f"bucket {bucket}",
            Request("s3:PutObject", logs, cloudtrail, writes),
            policies,
        )
        acl = Request(
            "s3:GetBucketAcl",
            f"arn:{where}:s3:::{bucket}",
            cloudtrail,
            {**source, "aws:SecureTransport": "true"},
        )
        yield Delivery(trail.path, f"bucket {bucket}", acl, policies)
        key_arn = properties.get("KMSKeyId")
        key = stage.by_arn.get(str(key_arn))
        if key is not None:
            context = {**source, "kms:EncryptionContext:aws:cloudtrail:arn": stage.arn(trail)}
            request = Request("kms:GenerateDataKey", stage.arn(key), cloudtrail, context)
            yield Delivery(trail.path, key.path, request, key_policy(stage, key))
