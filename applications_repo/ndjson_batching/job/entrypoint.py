"""The ndjson-batching Glue batch job: one manifest in, its files merged into Parquet.

1. Reads the manifest and moves each of its files ``-> processing`` (only files of this
   manifest: one that another manifest owns is left alone).
2. Checks each file's ETag against the manifest's and copies that exact version into the
   run's staging folder (in parallel); a file whose version is gone or changed is ``failed``
   with the reason.
3. Merges the files (``merge``), writes Parquet files of about ``--target_file_mb`` and the
   rejected lines (file, line, reason) into staging.
4. Commits: the Parquet files move to ``merged-parquet-{date}/manifest={id}/run={run}/`` of
   the output bucket, the rejects to ``rejects/merged-parquet-{date}/{id}.jsonl``, and the
   catalog partition ``(batch_date, batch_id)`` of ``ndjson_merged`` is pointed at the new
   folder in one call; earlier runs' folders of the manifest are then deleted. A re-run of a
   manifest therefore replaces its output, and a reader of the table never sees half of one.
5. Moves the files ``-> completed`` with their row counts (or ``-> failed`` with the error).

Arguments::

    --manifest_bucket B --manifest_key K [--manifest_version V] --output_bucket O
    --tracking_table T --database D --target_file_mb 128 [--JOB_NAME N --JOB_RUN_ID R]
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import boto3

from applications_repo.ndjson_batching.job.batch import Batch, BatchResult, process_batch
from applications_repo.ndjson_batching.manifest import Manifest
from applications_repo.ndjson_batching.tracking import TrackingTable, table_calls
from shared import metrics
from shared.glue.arguments import resolve_arguments
from shared.glue.catalog import catalog_calls
from shared.glue.session import get_spark
from shared.glue.storage import job_storage, storage_calls
from shared.outcomes import FAILED, JobReport

REQUIRED = (
    "manifest_bucket",
    "manifest_key",
    "output_bucket",
    "tracking_table",
    "database",
    "target_file_mb",
)
OPTIONAL = ("manifest_version", "input_bucket", "JOB_NAME", "JOB_RUN_ID")
DEFAULT_JOB_NAME = "GlueNdjsonBatchToParquet"
MB = 1024 * 1024
AWS_CALLS = (
    ("s3:GetObject", "arn:{partition}:s3:::{arg.manifest_bucket}/*"),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{arg.manifest_bucket}/*"),
    ("s3:GetObject", "arn:{partition}:s3:::{arg.input_bucket}/*"),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{arg.input_bucket}/*"),
    *storage_calls("{arg.output_bucket}", write=True),
    *table_calls("{arg.tracking_table}"),
    *catalog_calls("{arg.database}"),
    *(
        (f"glue:{action}", resource)
        for action in ("GetPartition", "CreatePartition", "UpdatePartition")
        for resource in (
            "arn:{partition}:glue:{region}:{account}:catalog",
            "arn:{partition}:glue:{region}:{account}:database/{arg.database}",
            "arn:{partition}:glue:{region}:{account}:table/{arg.database}/*",
        )
    ),
    ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": metrics.NAMESPACE}),
)
"""The AWS calls this job makes (checked against its role by tests/deployability)."""


class BatchFailedError(RuntimeError):
    """Raised at the end of a failed run so that Glue marks the run FAILED."""


def run(argv: Sequence[str]) -> BatchResult:
    """Process the manifest the arguments name; the run's result."""
    args = resolve_arguments(argv, REQUIRED, OPTIONAL)
    job_name = args.get("JOB_NAME", DEFAULT_JOB_NAME)
    run_id = args.get("JOB_RUN_ID") or f"local-{uuid.uuid4().hex[:12]}"
    aws = boto3.session.Session()
    s3 = aws.client("s3")
    version = {"VersionId": args["manifest_version"]} if args.get("manifest_version") else {}
    body = s3.get_object(Bucket=args["manifest_bucket"], Key=args["manifest_key"], **version)
    spark = get_spark(job_name)
    with tempfile.TemporaryDirectory(prefix="ndjson-batch-") as workdir:
        batch = Batch(
            manifest=Manifest.from_json(body["Body"].read()),
            run_id=run_id,
            output_bucket=args["output_bucket"],
            target_bytes=int(args["target_file_mb"]) * MB,
            s3=s3,
            glue=aws.client("glue"),
            database=args["database"],
            tracking=TrackingTable(aws.resource("dynamodb").Table(args["tracking_table"])),
            storage=job_storage(s3, Path(workdir)),
        )
        result = process_batch(spark, batch)
    metrics.publish_rows(
        aws.client("cloudwatch"),
        job_name,
        read=result.lines,
        written=result.rows,
        rejected=result.rejected_lines,
    )
    return result


def report(argv: Sequence[str]) -> JobReport:
    """``run``, as the platform reads it (the local Glue executor calls the script's
    ``report``)."""
    result = run(argv)
    return JobReport(
        status=FAILED if result.files_failed else "SUCCEEDED",
        error="; ".join(result.errors) or None,
        rows_read=result.lines,
        rows_written=result.rows,
        rows_rejected=result.rejected_lines,
        output=result.output,
        rejects=result.rejects,
        detail=asdict(result),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """The script's body: log the result; a run with failed files ends FAILED."""
    result = run(sys.argv if argv is None else argv)
    print(json.dumps(asdict(result)), flush=True)
    if result.files_failed:
        raise BatchFailedError("; ".join(result.errors))


if __name__ == "__main__":
    main()
