"""parquet-to-json's own metrics (platform namespace, dimension ``service``). Standard
library only: the functions and the job ship this module."""

from __future__ import annotations

from shared.metrics import NAMESPACE, SERVICE_DIMENSION

ORCHESTRATOR_SERVICE = "parquet-to-json-orchestrator"
JOB_SERVICE = "parquet-to-json-job"
SWEEPER_SERVICE = "parquet-to-json-sweeper"

# The orchestrator
FILES_RECEIVED = "ParquetFilesReceived"
FILES_REJECTED_AT_UPLOAD = "ParquetFilesRejectedAtUpload"
RUNS_STARTED = "ParquetRunsStarted"
RUNS_WAITING = "ParquetRunsWaiting"
DUPLICATE_EVENTS = "ParquetDuplicateEvents"

# The job (either engine)
FILES_SUCCEEDED = "ParquetFilesSucceeded"
FILES_FAILED = "ParquetFilesFailed"
FILES_REJECTED = "ParquetFilesRejected"
CONVERSION_SECONDS = "ParquetConversionSeconds"

# The sweeper
STUCK_RUNS = "ParquetStuckRuns"
WAITING_STARTED = "ParquetWaitingRunsStarted"


def publish(cloudwatch, service: str, values: dict[str, float], unit: str = "Count") -> None:
    """``values`` by metric name, through a boto3 CloudWatch client (the job has no
    Powertools)."""
    dimensions = [{"Name": SERVICE_DIMENSION, "Value": service}]
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": unit}
            for name, value in values.items()
        ],
    )
