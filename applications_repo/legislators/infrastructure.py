"""ProcessLegislators' stack: the Glue job, its code in the assets bucket, and what it and its
post-deploy tests may do beyond the shared roles."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from applications_repo.legislators.definition import definition
from applications_repo.legislators.names import LegislatorsNames
from shared.constructs.glue_job import GlueSparkJob
from shared.constructs.shared_roles import allow, attach_to_role
from shared.registry import AppContext


class LegislatorsStack(Stack):
    """ProcessLegislators-{stage}: the legislators' membership history as a Parquet table."""

    def __init__(
        self, scope: Construct, construct_id: str, *, context: AppContext, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        n, own = context.naming, context.app
        [job] = definition(n, own).jobs
        self.job = GlueSparkJob(
            self,
            "ProcessLegislators",
            naming=n,
            settings=context.settings.glue,
            definition=job,
            log_retention_days=context.settings.logs.lambda_retention_days,
        )
        inputs = f"{n.bucket_arn(own.input_bucket)}/{own.input_prefix}*"
        attach_to_role(
            self,
            "JobAccessPolicy",
            role_name=n.glue_service_role,
            description=f"What {job.name} reads.",
            statements=[
                allow("ReadLegislatorsInput", ["s3:GetObject"], [inputs]),
                allow("ListLegislatorsInput", ["s3:ListBucket"], [n.bucket_arn(own.input_bucket)]),
            ],
            wildcards=[inputs],
            reason="The job reads the persons, memberships and organizations files under the "
            "configured input prefix only.",
        )
        attach_to_role(
            self,
            "TestAccessPolicy",
            role_name=n.test_role,
            description=f"What the post-deploy tests of {job.name} may do.",
            statements=[
                allow(
                    "RunProcessLegislators",
                    ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
                    [n.glue_job_arn(LegislatorsNames(n).job)],
                )
            ],
        )
