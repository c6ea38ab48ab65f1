"""The platform's own CloudWatch metrics: one namespace, every name written once.

The Glue jobs and the run monitor publish them; the alarms and the dashboard read them. An
application's own metrics live in its folder, in this namespace. Standard library only: the
functions and jobs ship this module.
"""

from __future__ import annotations

NAMESPACE = "GlueDataPlatform"

# Published by the jobs (dimension JobName).
ROWS_READ = "RowsRead"
ROWS_WRITTEN = "RowsWritten"
ROWS_REJECTED = "RowsRejected"

# Published by the run monitor for every finished run (dimension JobName).
RUNS_SUCCEEDED = "JobRunsSucceeded"
RUNS_FAILED = "JobRunsFailed"
RUN_SECONDS = "JobRunDurationSeconds"
RUN_DURATION_RATIO = "JobRunDurationRatio"

JOB_DIMENSION = "JobName"
SERVICE_DIMENSION = "service"


def publish_rows(cloudwatch, job_name: str, *, read: int, written: int, rejected: int) -> None:
    """A finished run's rows read, written and rejected (dimension JobName), through a boto3
    CloudWatch client."""
    dimensions = [{"Name": JOB_DIMENSION, "Value": job_name}]
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": "Count"}
            for name, value in (
                (ROWS_READ, read),
                (ROWS_WRITTEN, written),
                (ROWS_REJECTED, rejected),
            )
        ],
    )
