"""A PySpark Glue job built from the stage's settings, its code deployed to the assets bucket."""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, IConstruct

from shared.application import GlueJobDefinition, default_arguments, scripts_prefix
from shared.bootstrap import CDK_QUALIFIER
from shared.bundling import GLUE_LIBRARIES_ZIP, glue_bundle, locked_versions
from shared.compliance import acknowledge
from shared.config import GlueSettings
from shared.constructs.logging import LogsKey, encrypted_log_group
from shared.naming import StageNaming

PINNED_MODULES = ("pyarrow", "pandas")
"""What the job code imports beyond PySpark. Glue bundles its own builds of these; the jobs
install the versions the tests ran (requirements.lock) through ``--additional-python-modules``."""


def tested_versions(modules: tuple[str, ...] = PINNED_MODULES) -> str:
    """``pyarrow==26.0.1,pandas==2.3.3``: the lock file's versions of ``modules``."""
    return ",".join(f"{name}=={version}" for name, version in locked_versions(modules).items())


GLUE_VERSIONS = {
    "4.0": glue.GlueVersion.V4_0,
    "5.0": glue.GlueVersion.V5_0,
    "5.1": glue.GlueVersion.V5_1,
}
WORKER_TYPES = {
    "G.025X": glue.WorkerType.G_025X,
    "G.1X": glue.WorkerType.G_1X,
    "G.2X": glue.WorkerType.G_2X,
    "G.4X": glue.WorkerType.G_4X,
    "G.8X": glue.WorkerType.G_8X,
}


class GlueSparkJob(Construct):
    """A ``glueetl`` Python 3 job: version, workers (auto scaling between the configured
    minimum and maximum), timeout, concurrency and retries from the stage's settings; runs
    beyond the concurrency limit wait in Glue's queue instead of failing; continuous logging,
    job and observability metrics on; the stage's Glue security configuration; run as the
    stage's GlueServiceRole.

    The script and the repository packages it imports are deployed to
    ``s3://glue-assets-v2-{stage}-{account}/scripts/{job}/``.

    Args:
        definition: the job as its application defines it.
        log_retention_days: how long the code deployments' own (encrypted) logs are kept.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: StageNaming,
        settings: GlueSettings,
        definition: GlueJobDefinition,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        job_name, script = definition.name, definition.script
        assets = s3.Bucket.from_bucket_name(self, "AssetsBucket", naming.assets_bucket)
        prefix = scripts_prefix(job_name)
        bundle = glue_bundle(job_name, script, definition.packages)
        deployment_logs = f"/aws-glue/deployments/{job_name}"
        logs_key = LogsKey(
            self,
            "DeploymentLogsKey",
            naming=naming,
            alias=f"alias/glue-deployments-{job_name.lower()}",
            description=f"Encrypts the logs of the deployments of {job_name}'s code.",
            log_group_pattern=deployment_logs,
        )
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Code",
            sources=[s3deploy.Source.asset(str(bundle))],
            destination_bucket=assets,
            destination_key_prefix=prefix,
            retain_on_delete=False,
            memory_limit=256,
            log_group=encrypted_log_group(
                self,
                "DeploymentLogs",
                name=deployment_logs,
                days=log_retention_days,
                key=logs_key,
            ),
        )
        role = iam.Role.from_role_arn(
            self, "ServiceRole", naming.role_arn(naming.glue_service_role), mutable=False
        )
        self.job = glue.PySparkEtlJob(
            self,
            "Job",
            job_name=job_name,
            description=definition.description,
            role=role,
            script=glue.Code.from_bucket(assets, f"{prefix}{script.name}"),
            extra_python_files=[glue.Code.from_bucket(assets, f"{prefix}{GLUE_LIBRARIES_ZIP}")],
            glue_version=GLUE_VERSIONS[settings.version],
            worker_configuration=glue.WorkerConfiguration(
                worker_type=WORKER_TYPES[settings.worker_type],
                number_of_workers=settings.max_workers,
            ),
            timeout=Duration.minutes(settings.timeout_minutes),
            max_concurrent_runs=settings.max_concurrent_runs,
            max_retries=settings.max_retries,
            security_configuration=glue.SecurityConfiguration.from_security_configuration_name(
                self, "SecurityConfiguration", naming.glue_security_configuration
            ),
            continuous_logging=glue.ContinuousLoggingProps(enabled=True),
            enable_metrics=True,
            enable_observability_metrics=True,
            job_run_queuing_enabled=settings.run_queuing,
            default_arguments={
                **default_arguments(naming, settings, definition),
                "--custom-logGroup-prefix": naming.glue_log_group_prefix,
                "--additional-python-modules": tested_versions(),
            },
        )
        self.job.node.add_dependency(self.deployment)
        acknowledge_bucket_deployment(self.deployment, naming)
        acknowledge_imported_security_configuration(self.job, naming.glue_security_configuration)


def acknowledge_bucket_deployment(
    deployment: s3deploy.BucketDeployment, naming: StageNaming
) -> None:
    """Acknowledge the findings on CDK's BucketDeployment provider, each with its reason."""
    role = deployment.handler_role
    acknowledge(
        role,
        "IAM4",
        "CDK's BucketDeployment provider function logs through the AWS managed "
        "AWSLambdaBasicExecutionRole policy (CreateLogGroup/CreateLogStream/PutLogEvents).",
        findings=[
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ],
    )
    acknowledge(
        role,
        "IAM5",
        "The provider copies the job's code from the CDK asset bucket of this account into the "
        "stage's assets bucket; its object wildcards are confined to those two buckets.",
        findings=[
            f"Resource::arn:{naming.partition}:s3:::cdk-{CDK_QUALIFIER}-assets-"
            f"{naming.account}-{naming.region}/*",
            f"Resource::{naming.bucket_arn(naming.assets_bucket)}/*",
        ],
    )
    acknowledge(
        cast(IConstruct, role.node.scope),
        "L1",
        "The BucketDeployment provider's runtime is chosen and updated by aws-cdk-lib; it runs "
        "only during deployments, to copy the job's code into the assets bucket.",
    )


def acknowledge_imported_security_configuration(job: glue.PySparkEtlJob, name: str) -> None:
    """GL1/GL3 cannot see into a security configuration referenced by name."""
    for rule, encryption in (
        ("GL1", "CloudWatch Logs (SSE-KMS)"),
        ("GL3", "job bookmarks (CSE-KMS)"),
    ):
        acknowledge(
            job,
            rule,
            f"The job runs with the security configuration {name}, which the infrastructure "
            f"app defines with {encryption} encryption under the stage's rotating KMS key; "
            "cdk-nag cannot inspect a configuration referenced by name, the infrastructure "
            "app's CDK tests assert it.",
        )
