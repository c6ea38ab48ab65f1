"""The delivery pipeline both CDK apps use: one call turns a stage factory into a
self-mutating, cross-account CodePipeline (V2) with gates, post-deploy tests and approval."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from aws_cdk import CfnElement, Duration, Environment, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from shared.compliance import acknowledge, apply_tags
from shared.config import REPOSITORY_ROOT, PlatformConfig, StageName
from shared.constructs.secure_bucket import SecureBucket
from shared.naming import (
    PIPELINE_ENVIRONMENT_TAG,
    AppName,
    PipelineNaming,
    StageNaming,
    partition,
)
from shared.stage import StageFactory

# What a push must touch, besides the app's own folder, to start that app's pipeline when both
# apps share one repository.
NOT_BUILT_PATHS = ("docs/**", "benchmarks/**", "*.md")
"""Pushes that touch only these (and the other app's folder) start no pipeline: everything else
(shared code, tests, scripts, CI, the gates' configs, the lock files) is built by both."""
BUILD_RUNTIMES = {"python": "3.11", "nodejs": "22", "java": "corretto17"}
POST_DEPLOY_TIMEOUT = Duration.hours(2)
"""A post-deploy run waits for real Glue runs; CodeBuild's default of 60 minutes is too short."""
CONNECTION_ACTION = "UseConnection"


def pinned_tool_version(package_name: str) -> str:
    """The version package.json pins for a Node tool (``aws-cdk``, ``cdk-assets``): the
    pipelines' self-mutation and asset publishing install the same ones."""
    package = json.loads((REPOSITORY_ROOT / "package.json").read_text(encoding="utf-8"))
    return str(package["devDependencies"][package_name])


# What CDK Pipelines' grant methods give its roles on the artifact bucket and key.
ARTIFACT_GRANT_ACTIONS = (
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
NOTIFIED_EVENTS = (
    codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
    codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
    codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_FAILED,
    codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
)


@dataclass(frozen=True)
class Delivery:
    """What one CDK app ships through its pipeline.

    Attributes:
        app: which app (its folder, repository and names follow from it).
        stage_factory: builds the app's stage for one stage account.
    """

    app: AppName
    stage_factory: StageFactory
    checks_infrastructure: bool = False
    """Before each stage, stop while that stage's infrastructure is older than the app needs
    (``shared.infrastructure_contract``)."""


class DeliveryPipelineStack(Stack):
    """The pipeline of one app, in the pipeline account.

    Source (GitHub through CodeConnections, on push) -> Build (install from the lock files,
    ``make test``: unit tests, synth with cdk-nag, cfn-lint) -> self-mutation -> Deploy-Dev and
    its post-deploy tests -> [manual approval when the stage asks for it] -> Deploy-Prod and
    its post-deploy tests. Failures and approvals are sent to an encrypted SNS topic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        delivery: Delivery,
        **kwargs: Any,
    ) -> None:
        pipeline_account = config.accounts.pipeline
        naming = PipelineNaming(delivery.app)
        super().__init__(
            scope,
            construct_id,
            stack_name=naming.stack_name,
            description=f"Delivery pipeline of the Glue data platform's {delivery.app} app.",
            env=Environment(account=pipeline_account.account_id, region=pipeline_account.region),
            **kwargs,
        )
        apply_tags(self, config, PIPELINE_ENVIRONMENT_TAG)
        self.config = config
        self.delivery = delivery
        self.naming = naming
        app = delivery.app

        self.topic = self._notifications_topic()
        self.source = pipelines.CodePipelineSource.connection(
            getattr(config.source.repositories, app.value),
            config.source.branch,
            connection_arn=config.source.connection_arn,
            # With push filters (one repository for both apps) the trigger alone starts the
            # pipeline; change detection on the source would start it for every push.
            trigger_on_push=not config.source.single_repository,
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=naming.pipeline,
            pipeline_type=codepipeline.PipelineType.V2,
            synth=self._build_step(),
            self_mutation=True,
            cross_account_keys=True,
            enable_key_rotation=True,
            docker_enabled_for_synth=False,
            docker_enabled_for_self_mutation=False,
            publish_assets_in_parallel=False,
            cli_version=pinned_tool_version("aws-cdk"),
            cdk_assets_cli_version=pinned_tool_version("cdk-assets"),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    compute_type=codebuild.ComputeType.MEDIUM,
                ),
            ),
        )
        self.test_runner_role = iam.Role(
            self,
            "PostDeployTestRole",
            role_name=naming.post_deploy_test_role,
            description=f"Runs the {app} app's post-deploy tests as each stage's GlueTestRole.",
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
        )
        for stage in StageName:
            self._add_stage(stage)
        self.pipeline.build_pipeline()
        self._log_artifact_access()
        self._allow_connection_prefix()
        self._filter_push_trigger()
        self.pipeline.pipeline.notify_on(
            "Notifications",
            self.topic,
            events=list(NOTIFIED_EVENTS),
            notification_rule_name=naming.pipeline,
        )
        self._acknowledge_generated_permissions()

    def _build_step(self) -> pipelines.CodeBuildStep:
        app = self.delivery.app
        return pipelines.CodeBuildStep(
            "Build",
            input=self.source,
            partial_build_spec=_runtimes(),
            install_commands=["make setup"],
            commands=["make test", f"make synth APP={app.value}"],
            primary_output_directory=f"{app.folder}/cdk.out",
        )

    def _add_stage(self, stage: StageName) -> None:
        settings = self.config.stages.get(stage)
        stage_naming = StageNaming.of(self.config, stage)
        deployment = self.delivery.stage_factory(
            self, self.naming.stage_id(stage), config=self.config, stage=stage
        )
        pre: list[pipelines.Step] = []
        if settings.approval_required:
            pre.append(
                pipelines.ManualApprovalStep(
                    self.naming.approval_action(stage),
                    comment=(
                        f"Promote the {self.delivery.app} app to {stage} "
                        f"(account {stage_naming.account}, {stage_naming.region}). The earlier "
                        "stages deployed and passed their post-deploy tests."
                    ),
                    notification_topic=self.topic,
                )
            )
        test_role_arn = stage_naming.role_arn(stage_naming.test_role)
        self.test_runner_role.add_to_policy(
            iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[test_role_arn])
        )
        if self.delivery.checks_infrastructure:
            check = pipelines.CodeBuildStep(
                f"CheckInfrastructure-{stage.value.capitalize()}",
                partial_build_spec=_runtimes(),
                role=self.test_runner_role,
                install_commands=["make setup"],
                commands=[f"make check-infrastructure STAGE={stage}"],
                env={"GDP_TEST_ROLE_ARN": test_role_arn},
            )
            for earlier in pre:
                check.add_step_dependency(earlier)
            pre.append(check)
        post = [
            pipelines.CodeBuildStep(
                f"PostDeployTests-{stage.value.capitalize()}",
                partial_build_spec=_runtimes(),
                role=self.test_runner_role,
                install_commands=["make setup"],
                commands=[f"make post-deploy-test APP={self.delivery.app.value} STAGE={stage}"],
                env={"GDP_TEST_ROLE_ARN": test_role_arn},
                timeout=POST_DEPLOY_TIMEOUT,
            )
        ]
        self.pipeline.add_stage(deployment, pre=pre, post=post)

    def _allow_connection_prefix(self) -> None:
        """CDK grants ``codestar-connections:UseConnection``; a connection created under the
        newer ``codeconnections`` service prefix is authorized by that prefix's action."""
        connection_arn = self.config.source.connection_arn
        prefix = connection_arn.split(":")[2]
        source_stage = self.pipeline.pipeline.stages[0].stage_name
        role = next(
            c
            for c in self.pipeline.pipeline.node.find_all()
            if isinstance(c, iam.Role) and f"/{source_stage}/" in c.node.path
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[f"{prefix}:{CONNECTION_ACTION}"], resources=[connection_arn]
            )
        )

    def _filter_push_trigger(self) -> None:
        """When both apps share a repository, start this pipeline only for its own changes."""
        source = self.config.source
        if not source.single_repository:
            return
        source_action = self.pipeline.pipeline.stages[0].actions[0]
        self.pipeline.pipeline.add_trigger(
            provider_type=codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
            git_configuration=codepipeline.GitConfiguration(
                source_action=source_action,
                push_filter=[
                    codepipeline.GitPushFilter(
                        branches_includes=[source.branch],
                        file_paths_includes=["**"],
                        file_paths_excludes=[
                            *(f"{app.folder}/**" for app in AppName if app != self.delivery.app),
                            *NOT_BUILT_PATHS,
                        ],
                    )
                ],
            ),
        )

    def _log_artifact_access(self) -> None:
        """Send the artifact bucket's server access logs to a log bucket of this stack.

        CDK Pipelines creates the artifact bucket itself, so logging is switched on at the
        CloudFormation level, with the bucket policy S3's log delivery needs.
        """
        logs = SecureBucket(
            self,
            "AccessLogsBucket",
            bucket_name=self.naming.access_logs_bucket(self.account),
            access_logs_bucket=None,
            versioned=False,
            expiration_days=self.config.pipeline.access_logs_expiration_days,
            retain=True,
        )
        artifacts = self.pipeline.pipeline.artifact_bucket
        prefix = "artifacts/"
        logs.accept_access_logs(
            sid="AllowArtifactBucketAccessLogs",
            source_arn=artifacts.bucket_arn,
            prefix=prefix,
            account=self.account,
        )
        cfn_artifacts = cast(s3.CfnBucket, artifacts.node.default_child)
        cfn_artifacts.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=logs.bucket_name, log_file_prefix=prefix
        )

    def _acknowledge_generated_permissions(self) -> None:
        """Acknowledge the wildcards of the policies CDK Pipelines writes for its own roles.

        Each finding is named exactly (with the logical ids of the resources it refers to), so
        a new wildcard that CDK Pipelines or this stack adds later still fails the synth.
        """
        arn_prefix = f"arn:{partition(self.region)}"
        artifacts = self.pipeline.pipeline.artifact_bucket
        bucket_id = self.get_logical_id(cast(CfnElement, artifacts.node.default_child))
        acknowledge(
            self,
            "IAM5",
            "CDK Pipelines grants its pipeline, build, self-mutation and asset roles read/write "
            "on the pipeline's own artifact bucket and its KMS key through grant methods; the "
            "wildcard action families (s3:GetObject*, kms:ReEncrypt*, ...) apply only to that "
            "one bucket and that one key.",
            findings=[
                *(f"Action::{action}" for action in ARTIFACT_GRANT_ACTIONS),
                f"Resource::<{bucket_id}.Arn>/*",
            ],
        )
        project_findings: list[str] = []
        for project in self.node.find_all():
            if isinstance(project, codebuild.CfnProject):
                project_id = self.get_logical_id(project)
                project_findings += [
                    f"Resource::{arn_prefix}:logs:{self.region}:{self.account}:log-group:"
                    f"/aws/codebuild/<{project_id}>:*",
                    f"Resource::{arn_prefix}:codebuild:{self.region}:{self.account}:"
                    f"report-group/<{project_id}>-*",
                ]
        acknowledge(
            self,
            "IAM5",
            "Each CodeBuild project of the pipeline writes only its own log group (streams get "
            "run-time names) and its own report groups (named after the project).",
            findings=project_findings,
        )
        acknowledge(
            self.pipeline,
            "IAM5",
            "The asset publishing project is shared by every asset of the pipeline: CDK "
            "Pipelines scopes it to the CodeBuild log groups and report groups of this account "
            "and region, and to starting builds it runs itself.",
            findings=[
                f"Resource::{arn_prefix}:logs:{self.region}:{self.account}:log-group:"
                "/aws/codebuild/*",
                f"Resource::{arn_prefix}:codebuild:{self.region}:{self.account}:report-group/*",
                "Resource::*",
            ],
        )
        acknowledge(
            self.pipeline,
            "IAM5",
            "Self-mutation may assume only the CDK bootstrap roles of the pipeline account: "
            "the statement is conditioned on the iam:ResourceTag/aws-cdk:bootstrap-role tag "
            "(deploy, file-publishing, image-publishing).",
            findings=[f"Resource::arn:*:iam::{self.account}:role/*"],
        )

    def _notifications_topic(self) -> sns.Topic:
        key = kms.Key(
            self,
            "NotificationsKey",
            alias=f"alias/{self.naming.notifications_topic}",
            description=f"Encrypts the notifications of {self.naming.pipeline}.",
            enable_key_rotation=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowPipelineNotifications",
                principals=[iam.ServicePrincipal("codestar-notifications.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"}},
            )
        )
        topic = sns.Topic(
            self,
            "NotificationsTopic",
            topic_name=self.naming.notifications_topic,
            display_name=f"{self.naming.pipeline} notifications",
            master_key=key,
            enforce_ssl=True,
        )
        for address in self.config.pipeline.notification_emails:
            topic.add_subscription(subscriptions.EmailSubscription(address))
        return topic


def _runtimes() -> codebuild.BuildSpec:
    return codebuild.BuildSpec.from_object(
        {"phases": {"install": {"runtime-versions": dict(BUILD_RUNTIMES)}}}
    )
