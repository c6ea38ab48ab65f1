"""The FileProcessorV2 Glue job script: arguments in, one file processed, its summary logged.

Runs unchanged under AWS Glue (uploaded to the assets bucket) and under local Spark (``gdp``,
the local run, the tests). Arguments::

    --source_bucket B --source_key K [--source_version V] --output_bucket O --database D
    [--engine auto|arrow|spark --single_node_max_bytes N]
    [--JOB_NAME N --JOB_RUN_ID R]   (set by Glue; the local executor sets them too)
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import boto3

from applications_repo.file_processor.engine_choice import EngineChoice, choose
from applications_repo.file_processor.job.engines import make_engine
from applications_repo.file_processor.job.processor import FileRequest, process_file
from applications_repo.file_processor.job.summary import RunStatus, RunSummary
from shared import metrics
from shared.glue.arguments import resolve_arguments
from shared.glue.catalog import GlueCatalog, catalog_calls
from shared.glue.storage import job_storage, storage_calls
from shared.outcomes import JobReport
from shared.quarantine import quarantine, quarantine_calls

REQUIRED = ("source_bucket", "source_key", "output_bucket", "database")
OPTIONAL = ("source_version", "engine", "single_node_max_bytes", "JOB_NAME", "JOB_RUN_ID")
DEFAULT_JOB_NAME = "FileProcessorV2"
AWS_CALLS = (
    *storage_calls("{stage.input_bucket}", write=False),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{stage.input_bucket}/*"),
    *storage_calls("{arg.output_bucket}", write=True),
    *quarantine_calls("{stage.input_bucket}"),
    *catalog_calls("{arg.database}"),
    ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": metrics.NAMESPACE}),
)
"""The AWS calls this job makes (the trigger starts it on objects of the input bucket;
checked against its role by tests/deployability)."""


class JobRunFailedError(RuntimeError):
    """Raised at the end of a FAILED run so that Glue marks the run FAILED (and retries it)."""


def run(argv: Sequence[str]) -> RunSummary:
    """Process the object the arguments name; returns the run's summary."""
    args = resolve_arguments(argv, REQUIRED, OPTIONAL)
    job_name = args.get("JOB_NAME", DEFAULT_JOB_NAME)
    run_id = args.get("JOB_RUN_ID") or f"local-{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="file-processor-") as workdir:
        aws = boto3.session.Session()
        storage = job_storage(aws.client("s3"), Path(workdir))
        bucket, key = args["source_bucket"], args["source_key"]
        version = args.get("source_version") or None
        request = FileRequest(
            source_uri=f"s3://{bucket}/{key}",
            source_version=version,
            output_root=f"s3://{args['output_bucket']}",
            job_name=job_name,
            run_id=run_id,
        )
        size = storage.stat(request.source_uri, version).size
        choice = choose(
            args.get("engine", EngineChoice.AUTO),
            size,
            int(args.get("single_node_max_bytes", 0)),
        )
        summary = process_file(
            make_engine(choice, job_name),
            storage,
            request,
            GlueCatalog(aws.client("glue"), args["database"]),
        )
        publish_row_metrics(aws.client("cloudwatch"), job_name, summary)
        if summary.status is RunStatus.REJECTED:
            s3 = aws.client("s3")
            size = s3.head_object(Bucket=bucket, Key=key, **_version(version))["ContentLength"]
            kept = quarantine(
                s3,
                bucket=bucket,
                key=key,
                version_id=version,
                size=size,
                reason=summary.error or "rejected",
                rejected_by=job_name,
            )
            summary = replace(summary, quarantine=kept)
        return summary


def publish_row_metrics(cloudwatch, job_name: str, summary: RunSummary) -> None:
    """Rows read, written and rejected by a finished run (dimension JobName)."""
    if summary.status is not RunStatus.SUCCEEDED:
        return
    metrics.publish_rows(
        cloudwatch,
        job_name,
        read=summary.rows_read,
        written=summary.rows_written,
        rejected=summary.rows_rejected,
    )


def _version(version: str | None) -> dict[str, str]:
    return {"VersionId": version} if version else {}


def report(argv: Sequence[str]) -> JobReport:
    """``run``, as the platform reads it (the local Glue executor calls the script's
    ``report``)."""
    return run(argv).job_report()


def main(argv: Sequence[str] | None = None) -> None:
    """The script's body: log the summary; a FAILED run ends the job run FAILED."""
    summary = run(sys.argv if argv is None else argv)
    print(summary.to_json(), flush=True)
    if summary.status is RunStatus.FAILED:
        raise JobRunFailedError(summary.error)


if __name__ == "__main__":
    main()
