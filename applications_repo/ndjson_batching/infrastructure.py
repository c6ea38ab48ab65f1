"""ndjson-batching's stack: its three buckets, the file queue, the tracking table, the
manifest builder, the job starter, the state manager and its schedules, and the batch job."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from applications_repo.ndjson_batching.definition import (
    definition,
)
from applications_repo.ndjson_batching.job.batch import TABLE
from applications_repo.ndjson_batching.names import NdjsonNames
from applications_repo.ndjson_batching.settings import NdjsonBatchingSettings
from applications_repo.ndjson_batching.stack_functions import (
    builder_function,
    starter_function,
    state_manager_function,
    tracking_statement,
)
from applications_repo.ndjson_batching.stack_storage import buckets, file_queue, tracking_table
from applications_repo.ndjson_batching.tracking import (
    STATUS_INDEX,
)
from shared import metrics
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.logging import LogsKey, own_provider_log_groups
from shared.constructs.shared_roles import allow, attach_to_role
from shared.glue.catalog import CATALOG_ACTIONS
from shared.naming import TEST_PREFIX
from shared.registry import AppContext

STARTER_MEMORY_MB = 128
BUILDER_MEMORY_MB = 256
STATE_MANAGER_TIMEOUT = Duration.minutes(5)
HEALTH_CHECK_MINUTES = 15
EVENT_MAX_AGE = Duration.hours(6)
PARTITION_ACTIONS = ("glue:GetPartition", "glue:CreatePartition", "glue:UpdatePartition")


class NdjsonBatchingStack(Stack):
    """Uploads to glue-ndjson-input-{stage} reach GlueNdjsonManifestBuilder through the
    GlueNdjsonFiles queue; manifests it writes start GlueNdjsonBatchToParquet through
    GlueNdjsonJobStarter; GlueNdjsonStateManager sweeps on a schedule and serves operators."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: AppContext, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = n = context.naming
        self.names = NdjsonNames(n)
        self.own: NdjsonBatchingSettings = context.app
        self.context = context
        what = definition(n, self.own)
        [builder] = what.queue_handlers
        [starter] = what.handlers
        [state_manager] = what.functions
        [job] = what.jobs
        self.key = LogsKey(
            self,
            "LogsKey",
            naming=n,
            alias=f"alias/{self.names.builder}-logs",
            description="Encrypts the logs of the ndjson-batching functions.",
            log_group_pattern=f"/aws/lambda/GlueNdjson*-{n.stage}",
        )
        self.input_bucket, self.manifest_bucket, self.output_bucket = buckets(self)
        self.tracking_table = tracking_table(self)
        self.queue, self.files_dead_letters = file_queue(self, builder)
        self.builder = builder_function(self, builder)
        self.starter = starter_function(self, starter)
        self.state_manager = state_manager_function(self, state_manager)
        glue_settings = context.settings.glue.model_copy(
            update={
                "worker_type": self.own.worker_type,
                "min_workers": self.own.workers,
                "max_workers": self.own.workers,
                "max_concurrent_runs": self.own.max_concurrent_runs,
            }
        )
        self.job = GlueSparkJob(
            self,
            "BatchJob",
            naming=n,
            settings=glue_settings,
            definition=job,
            log_retention_days=context.settings.logs.lambda_retention_days,
        )
        self._grant_shared_roles()
        own_provider_log_groups(self, naming=n, days=context.settings.logs.lambda_retention_days)

    # the builder
    def _grant_shared_roles(self) -> None:
        """The job reads manifests and inputs, writes the output, moves statuses and points
        partitions; the post-deploy tests run it and read the tracking table."""
        n, names = self.naming, self.names
        input_objects = f"{n.bucket_arn(names.input_bucket)}/*"
        manifest_objects = f"{n.bucket_arn(names.manifest_bucket)}/*"
        output_objects = f"{n.bucket_arn(names.output_bucket)}/*"
        tables = n.glue_arn(f"table/{n.database}/*")
        attach_to_role(
            self,
            "JobAccessPolicy",
            role_name=n.glue_service_role,
            description=f"What {names.job} reads, writes and records.",
            statements=[
                allow(
                    "ReadManifestsAndInputs",
                    ["s3:GetObject", "s3:GetObjectVersion"],
                    [manifest_objects, input_objects],
                ),
                allow("ListOutput", ["s3:ListBucket"], [n.bucket_arn(names.output_bucket)]),
                allow(
                    "WriteOutput",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    [output_objects],
                ),
                tracking_statement(self),
                allow(
                    "PointPartitions",
                    [*CATALOG_ACTIONS, *PARTITION_ACTIONS],
                    [n.glue_arn("catalog"), n.glue_arn(f"database/{n.database}"), tables],
                ),
                iam.PolicyStatement(
                    sid="PublishRowMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}},
                ),
            ],
            wildcards=[manifest_objects, input_objects, output_objects, tables, "*"],
            reason=f"The job reads any manifest and upload of its buckets, writes any key of "
            f"its output bucket (keys carry manifest and run ids), points partitions of "
            f"{TABLE} in the stage's database only; PutMetricData has no resource-level "
            "permissions and is limited to the platform's namespace.",
        )
        attach_to_role(
            self,
            "TestAccessPolicy",
            role_name=n.test_role,
            description=f"What the post-deploy tests of {names.job} may do.",
            statements=[
                allow(
                    "RunBatchJob",
                    ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
                    [n.glue_job_arn(names.job)],
                ),
                allow(
                    "UploadTestFiles",
                    ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                    [f"{n.bucket_arn(names.input_bucket)}/{TEST_PREFIX}*"],
                ),
                allow(
                    "ReadTracking",
                    ["dynamodb:GetItem", "dynamodb:Query"],
                    [
                        n.dynamodb_table_arn(names.tracking_table),
                        f"{n.dynamodb_table_arn(names.tracking_table)}/index/{STATUS_INDEX}",
                    ],
                ),
            ],
            wildcards=[f"{n.bucket_arn(names.input_bucket)}/{TEST_PREFIX}*"],
            reason="The post-deploy tests upload and remove their files only under the "
            f"{TEST_PREFIX} prefix of the input bucket.",
        )
