"""Typed, immutable settings of the platform, with the specification's values as defaults."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
CONNECTION_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TAG_VALUE_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,256}$")

# The retention periods CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


def _digits_as_text(value: object) -> object:
    """Accept an unquoted account ID from YAML (an integer) as its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _account_id(value: str) -> str:
    if not ACCOUNT_ID_PATTERN.match(value):
        raise ValueError("is not a 12-digit AWS account ID")
    return value


def _region(value: str) -> str:
    if not REGION_PATTERN.match(value):
        raise ValueError("is not an AWS region name such as 'eu-west-1'")
    return value


def _repository(value: str) -> str:
    if not REPOSITORY_PATTERN.match(value):
        raise ValueError("is not a GitHub repository in the form 'owner/name'")
    return value


def _connection_arn(value: str) -> str:
    if not CONNECTION_ARN_PATTERN.match(value):
        raise ValueError(
            "is not a CodeConnections ARN (arn:aws:codeconnections:REGION:ACCOUNT:connection/UUID)"
        )
    return value


def _email(value: str) -> str:
    if not EMAIL_PATTERN.match(value):
        raise ValueError("is not an email address")
    return value


def _tag_value(value: str) -> str:
    if not TAG_VALUE_PATTERN.match(value):
        raise ValueError("is not a valid AWS tag value (1-256 letters, digits, spaces or _.:/=+-@)")
    return value


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
        raise ValueError(f"is not a CloudWatch Logs retention period (one of {allowed})")
    return value


AccountId = Annotated[str, BeforeValidator(_digits_as_text), AfterValidator(_account_id)]
Region = Annotated[str, AfterValidator(_region)]
Repository = Annotated[str, AfterValidator(_repository)]
ConnectionArn = Annotated[str, AfterValidator(_connection_arn)]
Email = Annotated[str, AfterValidator(_email)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
RetentionDays = Annotated[int, AfterValidator(_log_retention)]
PositiveInt = Annotated[int, Field(gt=0)]
Percent = Annotated[float, Field(gt=0, le=100)]


class Settings(BaseModel):
    """Base of every settings object: immutable, strict about unknown keys."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=False, use_attribute_docstrings=True
    )


class StageName(StrEnum):
    """The deployment stages, in promotion order."""

    DEV = "dev"
    PROD = "prod"


class ProjectSettings(Settings):
    """What every resource is tagged with (spec: Tagging Strategy)."""

    name: TagValue = "glue-data-pipeline"
    """The Project tag. Spec: 002 Tagging Strategy, "Project | glue-data-pipeline"."""
    owner: TagValue = "data-engineering-team"
    """The Owner tag. Spec: 002 Tagging Strategy, "Owner | data-engineering-team"."""
    cost_center: TagValue = "engineering"
    """The CostCenter tag. Spec: 002 Tagging Strategy, "CostCenter | engineering"."""


class AccountSettings(Settings):
    """One AWS account and region. Unset values come from CDK_DEFAULT_ACCOUNT/REGION."""

    account_id: AccountId
    """The 12-digit account ID. Spec: 002 Account Structure (pipeline, dev, prod accounts)."""
    region: Region
    """The region everything of this account is deployed to. Spec: none (002 names no region)."""


class Accounts(Settings):
    """The three accounts of the spec's account structure."""

    pipeline: AccountSettings
    """The tooling account holding the CodePipelines. Spec: 002 Account Structure."""
    dev: AccountSettings
    """The development account. Spec: 002 Account Structure."""
    prod: AccountSettings
    """The production account. Spec: 002 Account Structure."""

    def for_stage(self, stage: StageName) -> AccountSettings:
        """The account a stage deploys to."""
        return getattr(self, stage.value)


class Repositories(Settings):
    """The GitHub repository of each CDK app; both may name the same repository."""

    infrastructure: Repository
    """GitHub owner/name of the infrastructure app. Spec: 002 Infrastructure Pipeline, "Source |
    GitHub webhook | Infrastructure repo"."""
    applications: Repository
    """GitHub owner/name of the applications app. Spec: 002 Application Pipeline, "Source | GitHub
    webhook | Application repo"."""


class SourceSettings(Settings):
    """Where the pipelines take their code from."""

    connection_arn: ConnectionArn
    """The CodeConnections connection to GitHub, created in the pipeline account. Spec: none (002
    says "GitHub webhook"; CodeConnections is how CodePipeline V2 receives them)."""
    branch: Annotated[str, Field(min_length=1, pattern=r"^[^\s~^:?*\[\\]+$")] = "main"
    """The branch whose pushes start the pipelines. Spec: none."""
    repositories: Repositories
    """The repository of each app."""

    @property
    def single_repository(self) -> bool:
        """True when both apps live in one repository (push triggers then filter on folders)."""
        return self.repositories.infrastructure == self.repositories.applications


GlueVersion = Literal["4.0", "5.0", "5.1"]
AUTO_SCALING_FLOOR = 2
WorkerType = Literal["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"]


class GlueSettings(Settings):
    """Glue job settings (spec: Glue Job Configuration)."""

    version: GlueVersion = "5.1"
    """Glue version of both jobs; local PySpark is pinned to its Spark. Spec: 002 Glue Job
    Configuration, "Glue Version | 4.0" (departure: 5.1 is the latest)."""
    worker_type: WorkerType = "G.1X"
    """Worker type. Spec: 002 Glue Job Configuration, "Worker Type | G.1X"."""
    min_workers: Annotated[int, Field(ge=2, le=299)] = 2
    """Fewest workers (auto scaling floor: a driver and one executor). Spec: none (002 fixes no
    count)."""
    max_workers: Annotated[int, Field(ge=2, le=299)] = 10
    """Most workers; auto scaling between min and max, equal values fix the size. Spec: none."""
    timeout_minutes: Annotated[int, Field(ge=1, le=2880)] = 60
    """Minutes before Glue stops a run. Spec: 002 Glue Job Configuration, "Timeout | 1 hour"."""
    max_concurrent_runs: Annotated[int, Field(ge=1, le=1000)] = 3
    """Runs of one job at the same time. Spec: 002 Glue Job Configuration, "Max Concurrent Runs |
    3"."""
    single_node_max_bytes: Annotated[int, Field(ge=0)] = 2 * 1024**3
    """Files up to this size run with the Arrow engine on one machine (an application's function
    job, or the Glue driver when a run asks for it); larger ones on Spark. Spec: none (002
    Expected Performance: small files need no cluster)."""
    run_queuing: bool = True
    """Runs beyond max_concurrent_runs wait in Glue's queue instead of failing. Spec: none."""
    max_retries: Annotated[int, Field(ge=0, le=10)] = 0
    """Glue retries of a failed run; must be 0 with run_queuing. Spec: none."""

    @model_validator(mode="after")
    def _workers_ordered(self) -> GlueSettings:
        if self.max_workers < self.min_workers:
            raise ValueError(
                f"max_workers ({self.max_workers}) is below min_workers ({self.min_workers})"
            )
        if self.run_queuing and self.max_retries:
            raise ValueError(
                f"max_retries ({self.max_retries}) must be 0 while run_queuing is true: Glue "
                "queues runs only for jobs without retries"
            )
        if self.max_workers > self.min_workers != AUTO_SCALING_FLOOR:
            raise ValueError(
                f"min_workers must be {AUTO_SCALING_FLOOR} when max_workers is higher (Glue auto "
                "scaling starts from 2 workers); set both equal for a fixed size"
            )
        return self


class StorageSettings(Settings):
    """Bucket lifecycles (spec: S3 Buckets)."""

    input_expiration_days: PositiveInt = 30
    """Days an upload stays in the input bucket. Spec: 002 S3 Buckets, "Input | ... | 30 days"."""
    output_expiration_days: PositiveInt = 90
    """Days Parquet output stays in the output bucket. Spec: 002 S3 Buckets, "Output | ... | 90
    days"."""
    noncurrent_version_expiration_days: PositiveInt = 7
    """Days an overwritten or deleted object version is kept (versioned buckets). Spec: none."""
    access_logs_expiration_days: PositiveInt = 365
    """Days the S3 access logs are kept. Spec: none."""
    quarantine_expiration_days: PositiveInt = 30
    """Days rejected uploads and their reasons stay in quarantine; at most input_expiration_days.
    Spec: none."""

    @model_validator(mode="after")
    def _quarantine_within_input(self) -> StorageSettings:
        if self.quarantine_expiration_days > self.input_expiration_days:
            raise ValueError(
                f"quarantine_expiration_days ({self.quarantine_expiration_days}) is above "
                f"input_expiration_days ({self.input_expiration_days}): the quarantine is in "
                "the input bucket, whose own rule would expire it first"
            )
        return self


class LogSettings(Settings):
    """Log retention (spec: Log Groups)."""

    lambda_retention_days: RetentionDays = 14
    """Retention of the Lambda log groups. Spec: 002 Log Groups, the Lambda function's log
    group "| 14 days"."""
    glue_retention_days: RetentionDays = 30
    """Retention of the Glue log groups. Spec: 002 Log Groups, "/aws-glue/jobs/output | 30 days"."""


class AlarmSettings(Settings):
    """Alerting thresholds (spec: Alerting Thresholds)."""

    job_failure_rate_percent: Percent = 10.0
    """Alarm when more than this share of a job's finished runs failed. Spec: 002 Alerting
    Thresholds, "Job Failure | Error rate > 10%"."""
    duration_factor: Annotated[float, Field(gt=1)] = 2.0
    """Alarm when a run takes more than this times the average. Spec: 002 Alerting Thresholds,
    "High Processing Time | Duration > 2x average"."""
    duration_average_runs: Annotated[int, Field(ge=1, le=100)] = 10
    """How many earlier successful runs make that average. Spec: none (002 says "average")."""
    lambda_error_rate_percent: Percent = 5.0
    """Alarm when more than this share of Lambda invocations failed. Spec: 002 Alerting Thresholds,
    "Lambda Errors | Error rate > 5%"."""
    rejected_rows_percent: Percent = 5.0
    """Alarm when more than this share of the rows read were rejected. Spec: none."""
    evaluation_minutes: Annotated[int, Field(ge=5, le=1440)] = 60
    """The window every rate is computed over. Spec: none."""


S3_URI_PATTERN = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$")


def _s3_prefix_uri(value: str) -> str:
    if not S3_URI_PATTERN.match(value):
        raise ValueError("is not an S3 location such as 's3://bucket/prefix/'")
    return value if value.endswith("/") else f"{value}/"


S3PrefixUri = Annotated[str, AfterValidator(_s3_prefix_uri)]


class AuditSettings(Settings):
    """The stage account's record of API calls."""

    trail: bool = True
    """Create a CloudTrail trail in the stage account: all regions, management events, log file
    validation, KMS-encrypted, into a retained, access-logged bucket. Set false when an
    organization trail already records the account (``aws cloudtrail describe-trails
    --include-shadow-trails`` in it lists a trail with ``IsOrganizationTrail: true``).
    Spec: 002 Security, "CloudTrail logging for all API calls"."""
    log_expiration_days: PositiveInt = 365
    """Days the trail's log files are kept in its bucket. Spec: none."""


class StageSettings(Settings):
    """Everything that may differ between dev and prod."""

    approval_required: bool = False
    """A manual approval stands before every deployment of this stage. Spec: 002 CI/CD Pipeline
    Specifications, "Deploy Prod | ... | Yes"."""
    retain_data: bool = True
    """Buckets survive deletion of their stack; always true for prod. Spec: none."""
    notification_emails: tuple[Email, ...] = ()
    """Who is subscribed to the stage's alerts topic. Spec: 002 Alerting Thresholds, "SNS
    notification"."""
    glue: GlueSettings = GlueSettings()
    """Glue job settings."""
    storage: StorageSettings = StorageSettings()
    """Bucket lifecycles."""
    logs: LogSettings = LogSettings()
    """Log retention."""
    alarms: AlarmSettings = AlarmSettings()
    """Alarm thresholds."""
    audit: AuditSettings = AuditSettings()
    """The API audit trail."""
    applications: dict[str, Any] = Field(default_factory=dict)
    """Each registered application's own settings for this stage, validated by its model (in
    the file: ``applications.<name>``, then ``stages.<stage>.applications.<name>``)."""


# What differs between the stages before the config file says anything: prod waits for a
# manual approval; dev data may be deleted with its stack.
STAGE_PRESETS: dict[str, dict[str, bool]] = {
    "dev": {"approval_required": False, "retain_data": False},
    "prod": {"approval_required": True, "retain_data": True},
}


class Stages(Settings):
    """Per-stage settings, in promotion order."""

    dev: StageSettings = StageSettings.model_validate(STAGE_PRESETS["dev"])
    """The dev stage."""
    prod: StageSettings = StageSettings.model_validate(STAGE_PRESETS["prod"])
    """The prod stage."""

    @model_validator(mode="after")
    def _prod_keeps_data(self) -> Stages:
        if not self.prod.retain_data:
            raise ValueError("prod.retain_data: false is not allowed: prod data is always retained")
        return self

    def get(self, stage: StageName) -> StageSettings:
        """The settings of one stage."""
        return getattr(self, stage.value)


class PipelineSettings(Settings):
    """Settings of the pipelines in the pipeline account."""

    notification_emails: tuple[Email, ...] = ()
    """Who hears about pipeline failures and pending approvals. Spec: none."""
    access_logs_expiration_days: PositiveInt = 365
    """Days the pipeline artifact bucket's access logs are kept. Spec: none."""


class PlatformConfig(Settings):
    """The whole resolved configuration of the platform."""

    project: ProjectSettings = ProjectSettings()
    """Tags on every resource."""
    accounts: Accounts
    """The three accounts."""
    source: SourceSettings
    """Where the pipelines take their code from."""
    pipeline: PipelineSettings = PipelineSettings()
    """The pipelines' own settings."""
    stages: Stages = Stages()
    """Per-stage settings (in the file: stage_defaults, then stages.dev / stages.prod)."""

    def application_settings(self, stage: StageName | str, name: str) -> Any:
        """The settings section of application ``name`` in ``stage``."""
        return self.stages.get(StageName(stage)).applications[name]

    @property
    def single_account(self) -> bool:
        """True when every stage deploys into the pipeline account (a trial set-up)."""
        pipeline = self.accounts.pipeline.account_id
        return all(self.accounts.for_stage(s).account_id == pipeline for s in StageName)
