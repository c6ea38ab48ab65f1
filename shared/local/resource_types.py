"""What the local stage does with each resource type of the templates: create it in the local
AWS (moto, which then acts on it), hand it to the local runtime, or report it not emulated
with the reason. A type missing here is reported not emulated too: nothing is skipped
silently. docs/testing.md lists the same table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.local.providers import api, compute, messaging, security, storage, workflow
from shared.local.providers.base import Provider


class Handling(StrEnum):
    LOCAL_AWS = "local_aws"
    RUNTIME = "runtime"
    NOT_EMULATED = "not_emulated"


@dataclass(frozen=True)
class TypeSupport:
    """How one resource type is deployed locally.

    Attributes:
        handling: where it lives: the local AWS, the local runtime, or nowhere.
        provider: creates it (for runtime types, registers it in the local AWS too, so that
            the API shows it and the runtime reads it from there).
        reason: for a type not emulated, why (and where it is tested instead).
    """

    handling: Handling
    provider: Provider | None = None
    reason: str = ""


def _aws(provider: Provider) -> TypeSupport:
    return TypeSupport(Handling.LOCAL_AWS, provider)


def _runtime(provider: Provider) -> TypeSupport:
    return TypeSupport(Handling.RUNTIME, provider)


def _not_emulated(reason: str) -> TypeSupport:
    return TypeSupport(Handling.NOT_EMULATED, reason=reason)


SUPPORT: dict[str, TypeSupport] = {
    "AWS::S3::Bucket": _aws(storage.bucket),
    "AWS::S3::BucketPolicy": _aws(storage.bucket_policy),
    "AWS::DynamoDB::Table": _aws(storage.table),
    "AWS::DynamoDB::GlobalTable": _aws(storage.table),
    "AWS::Glue::Database": _aws(storage.glue_database),
    "AWS::Glue::SecurityConfiguration": _aws(storage.glue_security_configuration),
    "AWS::IAM::Role": _aws(security.role),
    "AWS::IAM::Policy": _aws(security.inline_policy),
    "AWS::IAM::ManagedPolicy": _aws(security.managed_policy),
    "AWS::KMS::Key": _aws(security.key),
    "AWS::KMS::Alias": _aws(security.alias),
    "AWS::Logs::LogGroup": _aws(security.log_group),
    "AWS::SQS::Queue": _aws(messaging.queue),
    "AWS::SQS::QueuePolicy": _aws(messaging.queue_policy),
    "AWS::SNS::Topic": _aws(messaging.topic),
    "AWS::SNS::TopicPolicy": _aws(messaging.topic_policy),
    "AWS::SNS::Subscription": _aws(messaging.subscription),
    "AWS::Scheduler::ScheduleGroup": _aws(messaging.schedule_group),
    "AWS::CloudWatch::Dashboard": _aws(messaging.dashboard),
    "AWS::Athena::WorkGroup": _aws(workflow.work_group),
    "AWS::Athena::NamedQuery": _aws(workflow.named_query),
    "AWS::SecretsManager::Secret": _aws(workflow.secret),
    "AWS::Lambda::LayerVersion": _aws(compute.layer_version),
    "AWS::ApiGateway::ApiKey": _aws(api.api_key),
    "AWS::ApiGateway::UsagePlanKey": _aws(api.usage_plan_key),
    "AWS::ApiGateway::GatewayResponse": _aws(api.gateway_response),
    "AWS::ApiGateway::RestApi": _runtime(api.rest_api),
    "AWS::ApiGateway::Resource": _runtime(api.api_resource),
    "AWS::ApiGateway::Method": _runtime(api.method),
    "AWS::ApiGateway::Deployment": _runtime(api.deployment),
    "AWS::ApiGateway::Stage": _runtime(api.stage),
    "AWS::ApiGateway::UsagePlan": _runtime(api.usage_plan),
    "AWS::Lambda::Function": _runtime(compute.function),
    "AWS::Lambda::Permission": _runtime(compute.permission),
    "AWS::Lambda::EventInvokeConfig": _runtime(compute.event_invoke_config),
    "AWS::Lambda::EventSourceMapping": _runtime(compute.event_source_mapping),
    "AWS::Events::Rule": _runtime(messaging.rule),
    "AWS::Scheduler::Schedule": _runtime(messaging.schedule),
    "AWS::Glue::Job": _runtime(compute.glue_job),
    "AWS::Glue::Crawler": _runtime(workflow.crawler),
    "AWS::StepFunctions::StateMachine": _runtime(workflow.state_machine),
    "Custom::CDKBucketDeployment": _runtime(compute.bucket_deployment),
    "Custom::S3BucketNotifications": _runtime(storage.bucket_notifications),
    "AWS::CloudWatch::Alarm": _not_emulated(
        "moto stores alarms but never evaluates them; their metric math and thresholds are "
        "asserted on the templates in tests/cdk"
    ),
    "AWS::CloudTrail::Trail": _not_emulated(
        "moto records no API activity, so a trail would log nothing; the trail's settings "
        "are asserted on the templates in tests/cdk"
    ),
    "Custom::S3AutoDeleteObjects": _not_emulated(
        "acts only when its stack is deleted; the local stage is never deleted, its "
        "snapshot is kept"
    ),
}
NO_PROVIDER = "no local provider for this type yet"


def support(resource_type: str) -> TypeSupport:
    """How ``resource_type`` is deployed locally (not emulated when unknown)."""
    return SUPPORT.get(resource_type, _not_emulated(NO_PROVIDER))
