"""Every resource name of the platform, derived from the config in the spec's conventions.

Stacks, tests, the local runner and the post-deploy tests all take names from here, so a name is
written once. Names carry the stage so that dev and prod can share one account in a trial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from shared.config import AccountSettings, PlatformConfig, StageName
from shared.quarantine import QUARANTINE_PREFIX

__all__ = [
    "PIPELINE_ENVIRONMENT_TAG",
    "QUARANTINE_PREFIX",
    "TEST_PREFIX",
    "AppName",
    "PipelineNaming",
    "StageNaming",
    "partition",
]


class AppName(StrEnum):
    """The CDK apps of the platform, each shipped by its own pipeline."""

    INFRASTRUCTURE = "infrastructure"
    APPLICATIONS = "applications"

    @property
    def folder(self) -> str:
        """The app's folder at the repository root."""
        return f"{self.value}_repo"

    @property
    def camel(self) -> str:
        """The app's name in CamelCase, for stack and construct ids."""
        return self.value.capitalize()


class Concern(StrEnum):
    """What one stack of a stage holds; part of its CloudFormation name."""

    STORAGE = "storage"
    CATALOG = "catalog"
    ACCESS = "access"
    AUDIT = "audit"
    MONITORING = "monitoring"


# The stacks of each app's stage, in deployment order (each may depend on the ones before).
APP_STACKS: dict[AppName, tuple[Concern, ...]] = {
    AppName.INFRASTRUCTURE: (Concern.STORAGE, Concern.AUDIT, Concern.CATALOG, Concern.ACCESS),
    AppName.APPLICATIONS: (Concern.MONITORING,),
}
"""The applications app's stage also holds one stack per registered application, before these."""


class NameKind(StrEnum):
    """What a declared name names; each kind has its service's length and character limits."""

    S3_BUCKET = "S3 bucket"
    GLUE_JOB = "Glue job"
    GLUE_DATABASE = "Glue database"
    GLUE_CRAWLER = "Glue crawler"
    LAMBDA_FUNCTION = "Lambda function"
    LOG_GROUP = "log group"
    IAM_ROLE = "IAM role"
    EVENT_RULE = "EventBridge rule"
    SCHEDULE = "EventBridge schedule"
    SQS_QUEUE = "SQS queue"
    SNS_TOPIC = "SNS topic"
    DYNAMODB_TABLE = "DynamoDB table"
    STATE_MACHINE = "state machine"
    REST_API = "REST API"


NAME_RULES: dict[NameKind, re.Pattern[str]] = {
    NameKind.S3_BUCKET: re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
    NameKind.GLUE_JOB: re.compile(r"[\w.-]{1,255}"),
    NameKind.GLUE_DATABASE: re.compile(r"[a-z0-9_]{1,255}"),
    NameKind.GLUE_CRAWLER: re.compile(r"[\w.-]{1,255}"),
    NameKind.LAMBDA_FUNCTION: re.compile(r"[A-Za-z0-9_-]{1,64}"),
    NameKind.LOG_GROUP: re.compile(r"[\w./#-]{1,512}"),
    NameKind.IAM_ROLE: re.compile(r"[\w+=,.@-]{1,64}"),
    NameKind.EVENT_RULE: re.compile(r"[\w.-]{1,64}"),
    NameKind.SCHEDULE: re.compile(r"[\w.-]{1,64}"),
    NameKind.SQS_QUEUE: re.compile(r"[A-Za-z0-9_-]{1,80}"),
    NameKind.SNS_TOPIC: re.compile(r"[A-Za-z0-9_-]{1,256}"),
    NameKind.DYNAMODB_TABLE: re.compile(r"[A-Za-z0-9_.-]{3,255}"),
    NameKind.STATE_MACHINE: re.compile(r"[A-Za-z0-9_-]{1,80}"),
    NameKind.REST_API: re.compile(r"[\w .-]{1,1024}"),
}
"""Which names each service accepts (its documented length and characters)."""


def name_problem(kind: NameKind, name: str) -> str | None:
    """Why ``name`` is not a valid name of ``kind``; None when it is."""
    if NAME_RULES[kind].fullmatch(name):
        return None
    return f"{name!r} is not a valid {kind} name ({NAME_RULES[kind].pattern})"


PIPELINE_ENVIRONMENT_TAG = "pipeline"
TEST_PREFIX = "integration-tests/"


def partition(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class StageNaming:
    """Names of one stage's resources in its account."""

    stage: StageName
    account: str
    region: str

    @classmethod
    def of(cls, config: PlatformConfig, stage: StageName | str) -> StageNaming:
        """The names of ``stage`` under ``config``."""
        stage = StageName(stage)
        target: AccountSettings = config.accounts.for_stage(stage)
        return cls(stage=stage, account=target.account_id, region=target.region)

    # The rule: a name carries its stage (and a bucket its account too, being global)
    def named(self, base: str) -> str:
        """``base`` of this stage: ``MyJob`` -> ``MyJob-dev``."""
        return f"{base}-{self.stage}"

    def bucket(self, base: str) -> str:
        """A bucket name of this stage: ``glue-input`` -> ``glue-input-dev-222222222222``."""
        return f"{base}-{self.stage}-{self.account}"

    def lambda_log_group(self, function_name: str) -> str:
        """Where Lambda writes a function's logs."""
        return f"/aws/lambda/{function_name}"

    def application_stack(self, application: str) -> str:
        """The stack of one registered application: ``glue-applications-{name}-{stage}``."""
        return f"glue-{AppName.APPLICATIONS.value}-{application}-{self.stage}"

    # Buckets (spec: S3 Buckets)
    @property
    def input_bucket(self) -> str:
        return self.bucket("glue-input")

    @property
    def output_bucket(self) -> str:
        return self.bucket("glue-output")

    @property
    def assets_bucket(self) -> str:
        return self.bucket("glue-assets-v2")

    @property
    def access_logs_bucket(self) -> str:
        return self.bucket("glue-access-logs")

    # Glue (spec: Glue Resources)
    @property
    def database(self) -> str:
        return f"glue_database_v2_{self.stage}"

    @property
    def audit_trail(self) -> str:
        return f"glue-audit-trail-{self.stage}"

    @property
    def audit_bucket(self) -> str:
        return self.bucket("glue-audit")

    @property
    def audit_key_alias(self) -> str:
        return f"alias/glue-audit-{self.stage}"

    @property
    def glue_security_configuration(self) -> str:
        return f"glue-security-{self.stage}"

    @property
    def glue_key_alias(self) -> str:
        return f"alias/glue-data-{self.stage}"

    @property
    def glue_log_group_prefix(self) -> str:
        """What the stage's Glue jobs pass as ``--custom-logGroup-prefix`` (Glue 5: their logs
        go to ``<prefix>/output`` and ``<prefix>/error`` instead of groups Glue creates)."""
        return f"/aws-glue/jobs/{self.glue_security_configuration}"

    @property
    def glue_log_groups(self) -> tuple[str, str]:
        """Where the stage's Glue jobs log (spec: Log Groups): output (stdout, stderr) and
        error (system, Spark and Glue logger logs)."""
        prefix = self.glue_log_group_prefix
        return (f"{prefix}/output", f"{prefix}/error")

    # Monitoring
    @property
    def alerts_topic(self) -> str:
        return f"glue-alerts-{self.stage}"

    @property
    def alerts_key_alias(self) -> str:
        return f"alias/glue-alerts-{self.stage}"

    @property
    def monitor_function(self) -> str:
        return f"GlueRunMonitor-{self.stage}"

    @property
    def monitor_log_group(self) -> str:
        return self.lambda_log_group(self.monitor_function)

    @property
    def monitor_dead_letter_queue(self) -> str:
        return f"GlueRunMonitor-dlq-{self.stage}"

    @property
    def job_state_rule(self) -> str:
        return f"glue-job-state-{self.stage}"

    @property
    def dashboard(self) -> str:
        return f"glue-data-platform-{self.stage}"

    def alarm(self, subject: str, what: str) -> str:
        """An alarm's name, e.g. ``glue-dev-MyJob-dev-failure-rate``."""
        return f"glue-{self.stage}-{subject}-{what}"

    def alarm_arn(self, alarm_name: str) -> str:
        return f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:{alarm_name}"

    def topic_arn(self, topic_name: str) -> str:
        return f"arn:{self.partition}:sns:{self.region}:{self.account}:{topic_name}"

    # Lambda (spec: Lambda Functions, Log Groups)

    def dynamodb_table_arn(self, table_name: str) -> str:
        return f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{table_name}"

    # IAM (spec: IAM Roles)
    @property
    def glue_service_role(self) -> str:
        return f"GlueServiceRole-{self.stage}"

    @property
    def test_role(self) -> str:
        return f"GlueTestRole-{self.stage}"

    # Stacks
    def stack_name(self, app: AppName, concern: Concern) -> str:
        """CloudFormation name of one stack of ``app`` in this stage.

        For example ``glue-infrastructure-storage-dev``.
        """
        return f"glue-{app.value}-{concern}-{self.stage}"

    # ARNs
    @property
    def partition(self) -> str:
        return partition(self.region)

    def role_arn(self, role_name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{role_name}"

    def bucket_arn(self, bucket_name: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket_name}"

    def glue_job_arn(self, job_name: str) -> str:
        return f"arn:{self.partition}:glue:{self.region}:{self.account}:job/{job_name}"

    def glue_arn(self, resource: str) -> str:
        """ARN of a Glue catalog resource: ``catalog``, ``database/NAME``, ``table/DB/NAME``."""
        return f"arn:{self.partition}:glue:{self.region}:{self.account}:{resource}"

    def log_group_arn(self, log_group_name: str) -> str:
        return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{log_group_name}"

    def queue_arn(self, queue_name: str) -> str:
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{queue_name}"


@dataclass(frozen=True)
class PipelineNaming:
    """Names of one app's delivery pipeline in the pipeline account."""

    app: AppName

    @property
    def pipeline(self) -> str:
        return f"glue-{self.app.value}-pipeline"

    @property
    def stack_name(self) -> str:
        return f"glue-{self.app.value}-pipeline"

    @property
    def stack_id(self) -> str:
        """The construct id of the pipeline stack (what `cdk deploy` names it)."""
        return f"Glue{self.app.camel}Pipeline"

    @property
    def notifications_topic(self) -> str:
        return f"glue-{self.app.value}-pipeline-notifications"

    def access_logs_bucket(self, account: str) -> str:
        """The bucket that receives the pipeline artifact bucket's access logs."""
        return f"glue-{self.app.value}-pipeline-access-logs-{account}"

    @property
    def post_deploy_test_role(self) -> str:
        """The role the post-deploy tests run as; each stage's GlueTestRole trusts it."""
        return f"glue-{self.app.value}-pipeline-post-deploy-tests"

    def stage_id(self, stage: StageName) -> str:
        """The construct id of a deployment stage, shown in the pipeline as ``Deploy-Dev``."""
        return f"Deploy-{stage.value.capitalize()}"

    def approval_action(self, stage: StageName) -> str:
        """The manual approval before a stage's deployment (an action of its pipeline stage)."""
        return f"Approve-{stage.value.capitalize()}"
