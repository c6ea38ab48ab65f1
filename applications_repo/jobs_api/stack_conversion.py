"""jobs-api's conversion: what parquet-to-json's job may do over jobs-api's buckets and
table (on Glue and as the single-node function), and that function."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from shared import metrics
from shared.application import FunctionJob
from shared.constructs.functions import dead_letter_queue, job_function
from shared.constructs.shared_roles import allow

if TYPE_CHECKING:
    from applications_repo.jobs_api.infrastructure import JobsApiStack

EVENT_MAX_AGE_HOURS = 6


def conversion_statements(stack: JobsApiStack) -> tuple[list[iam.PolicyStatement], list[str]]:
    """What a conversion does, on Glue or on the function; with its wildcard resources."""
    n, names = stack.naming, stack.names
    sources = f"{n.bucket_arn(names.input_bucket)}/*"
    quarantine = f"{n.bucket_arn(names.input_bucket)}/quarantine/*"
    outputs = f"{n.bucket_arn(names.output_bucket)}/*"
    statements = [
        allow(
            "ListDataBuckets",
            ["s3:ListBucket"],
            [n.bucket_arn(names.input_bucket), n.bucket_arn(names.output_bucket)],
        ),
        allow("ReadSource", ["s3:GetObject", "s3:GetObjectVersion"], [sources]),
        allow("QuarantineRejectedSource", ["s3:PutObject"], [quarantine]),
        allow(
            "WriteOutput",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            [outputs],
        ),
        stack.table_statement("RecordRuns", ("GetItem", "UpdateItem", "Query")),
        iam.PolicyStatement(
            sid="PublishMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}},
        ),
    ]
    return statements, [sources, quarantine, outputs, "*"]


def single_node_function(stack: JobsApiStack, job: FunctionJob) -> lambda_.Function:
    dead_letters = dead_letter_queue(
        stack,
        "SingleNodeDeadLetterQueue",
        job.dead_letter_queue,
        holds=f"the {job.function_name} runs that failed after Lambda's retries",
    )
    statements, wildcards = conversion_statements(stack)
    role, log_group = stack.role(
        "SingleNode",
        stack.names.single_node_role,
        job.function_name,
        f"{stack.names.job} on one machine",
        [
            *statements,
            allow(
                "SendFailedRunsToDeadLetterQueue",
                ["sqs:SendMessage"],
                [stack.naming.queue_arn(job.dead_letter_queue)],
            ),
        ],
        findings=wildcards,
        reason=CONVERSION_REASON,
    )
    return job_function(
        stack,
        "SingleNodeFunction",
        job,
        role=role,
        log_group=log_group,
        dead_letters=dead_letters,
        max_event_age=Duration.hours(EVENT_MAX_AGE_HOURS),
    )


CONVERSION_REASON = (
    "A conversion reads any upload of the input bucket, which holds only the jobs' uploads "
    "(keys are the users' file names under their job ids), quarantines only under its "
    "quarantine/ prefix, writes any key of its output bucket (keys derive from the "
    "uploads'); PutMetricData has no resource-level permissions and is limited to the "
    "platform's namespace."
)
