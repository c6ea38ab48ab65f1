"""The medallion Glue job script (GlueMedallionTransform, GlueMedallionCompaction).

``--step transform --run_date D``: the pages the date's bronze manifest lists ->
silver ``processed/YYYY/MM/DD/data_clean.json`` (checked, typed, one record per natural key;
the failing ones in ``rejected/YYYY/MM/DD/rejected.json`` with their reasons) -> gold
``curated/year=YYYY/month=MM/day=DD/`` Snappy Parquet of about ``--target_file_bytes`` per
file. Only the date's partition is rewritten. Two quality gates: more than
``--max_rejected_percent`` of the records rejected, or no valid record, fails the run before
gold is touched. The watermark is explicit: the checkpoints table records which ingestion of
the date reached gold, and a run for an ingestion already carried is a no-op.

``--step compact``: the partitions of the last ``--compaction_days`` days with small files
are rewritten as files of about ``--target_file_bytes``.

Runs unchanged under AWS Glue and under local Spark.
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from pyspark.sql import SparkSession

from applications_repo.medallion.checkpoints import mark_transformed, transformed_execution
from applications_repo.medallion.job.cleaning import clean, read_pages
from applications_repo.medallion.job.layers_io import (
    file_count,
    write_json_lines,
    write_parquet,
)
from applications_repo.medallion.layers import (
    CLEAN_NAME,
    CURATED_PREFIX,
    PROCESSED_PREFIX,
    REJECTED_NAME,
    REJECTED_PREFIX,
    STAGING_PREFIX,
    day_folder,
    manifest_key,
    partition_folder,
)
from shared import metrics as names
from shared.glue.arguments import resolve_arguments
from shared.glue.session import get_spark
from shared.glue.storage import Storage, job_storage, storage_calls
from shared.outcomes import JobReport

TRANSFORM, COMPACT = "transform", "compact"
REQUIRED = (
    "step",
    "bronze_bucket",
    "silver_bucket",
    "gold_bucket",
    "checkpoints_table",
    "natural_key",
    "max_rejected_percent",
    "target_file_bytes",
    "compaction_days",
)
OPTIONAL = ("run_date", "JOB_NAME", "JOB_RUN_ID")
PARQUET_OF_JSON = 0.25
"""Snappy Parquet of these records is about a quarter of their JSON (the file count's
estimate)."""
AWS_CALLS = (
    *storage_calls("{arg.bronze_bucket}", write=False),
    *storage_calls("{arg.silver_bucket}", write=True),
    *storage_calls("{arg.gold_bucket}", write=True),
    (
        "dynamodb:GetItem",
        "arn:{partition}:dynamodb:{region}:{account}:table/{arg.checkpoints_table}",
    ),
    (
        "dynamodb:UpdateItem",
        "arn:{partition}:dynamodb:{region}:{account}:table/{arg.checkpoints_table}",
    ),
    ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": names.NAMESPACE}),
)
"""The AWS calls this job makes (checked against its role by tests/deployability)."""


class QualityGateError(RuntimeError):
    """A run date's records did not pass a gate between layers; nothing reached gold."""


def transform(
    spark: SparkSession, storage: Storage, table: Any, args: dict[str, str], run_id: str
) -> JobReport:
    """One run date from bronze to gold (module docstring)."""
    run_date = date.fromisoformat(args["run_date"]).isoformat()
    bronze, silver, gold = (
        f"s3://{args[k]}" for k in ("bronze_bucket", "silver_bucket", "gold_bucket")
    )
    with storage.open(f"{bronze}/{manifest_key(run_date)}") as body:
        manifest = json.loads(body.read())
    partition = f"{gold}/{CURATED_PREFIX}{partition_folder(run_date)}"
    if transformed_execution(table, run_date) == manifest["execution"] and storage.list(partition):
        return JobReport(
            rows_read=0,
            rows_written=0,
            rows_rejected=0,
            output=partition,
            detail={"run_date": run_date, "skipped": "this ingestion already reached gold"},
        )
    pages = [
        (n, storage.spark_input(f"{bronze}/{key}")) for n, key in enumerate(manifest["pages"], 1)
    ]
    cleaned = clean(read_pages(spark, pages), args["natural_key"])
    rejects = f"{silver}/{REJECTED_PREFIX}{day_folder(run_date)}"
    staging = f"{silver}/_staging/{run_id}"
    if cleaned.rejected_count:
        write_json_lines(
            storage,
            cleaned.rejected,
            f"{staging}/rejected",
            rejects,
            run_id=run_id,
            name=REJECTED_NAME,
        )
    percent = 100.0 * cleaned.rejected_count / cleaned.read if cleaned.read else 0.0
    detail = {
        "run_date": run_date,
        "records": cleaned.read,
        "rejected": cleaned.rejected_count,
        "rejected_percent": round(percent, 2),
        "duplicates": cleaned.duplicates,
        "execution": manifest["execution"],
    }
    if percent > float(args["max_rejected_percent"]):
        raise QualityGateError(
            f"run date {run_date}: {cleaned.rejected_count} of {cleaned.read} records "
            f"({percent:.1f}%) rejected, above the gate of {args['max_rejected_percent']}%; "
            f"reasons in {rejects}{REJECTED_NAME}"
        )
    valid = cleaned.read - cleaned.rejected_count - cleaned.duplicates
    if valid == 0:
        raise QualityGateError(f"run date {run_date}: no valid record to publish")
    processed = f"{silver}/{PROCESSED_PREFIX}{day_folder(run_date)}"
    write_json_lines(
        storage, cleaned.valid, f"{staging}/processed", processed, run_id=run_id, name=CLEAN_NAME
    )
    files = file_count(int(manifest["bytes"] * PARQUET_OF_JSON), int(args["target_file_bytes"]))
    written = write_parquet(
        storage,
        cleaned.valid,
        f"{gold}/{STAGING_PREFIX}{run_id}",
        partition,
        run_id=run_id,
        files=files,
    )
    mark_transformed(table, run_date, manifest["execution"], datetime.now(UTC).isoformat())
    return JobReport(
        rows_read=cleaned.read,
        rows_written=valid,
        rows_rejected=cleaned.rejected_count,
        output=partition,
        rejects=f"{rejects}{REJECTED_NAME}" if cleaned.rejected_count else None,
        detail={**detail, "files": len(written), "processed": f"{processed}{CLEAN_NAME}"},
    )


def compact(
    spark: SparkSession, storage: Storage, args: dict[str, str], run_id: str, today: date
) -> JobReport:
    """Rewrite the recent partitions whose files are small (module docstring)."""
    gold = f"s3://{args['gold_bucket']}"
    target = int(args["target_file_bytes"])
    oldest = today - timedelta(days=int(args["compaction_days"]))
    by_partition: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for uri in storage.list(f"{gold}/{CURATED_PREFIX}"):
        relative = uri[len(f"{gold}/{CURATED_PREFIX}") :]
        if relative.startswith("_") or "/" not in relative:
            continue
        folder = relative.rsplit("/", 1)[0]
        by_partition[folder].append((uri, storage.stat(uri).size))
    compacted = {}
    for folder, files in sorted(by_partition.items()):
        values = dict(part.split("=", 1) for part in folder.split("/"))
        when = date(int(values["year"]), int(values["month"]), int(values["day"]))
        wanted = file_count(sum(s for _, s in files), target)
        if when < oldest or len(files) <= wanted:
            continue
        frame = spark.read.parquet(*(storage.spark_input(u) for u, _ in files))
        write_parquet(
            storage,
            frame,
            f"{gold}/{STAGING_PREFIX}{run_id}/{folder}",
            f"{gold}/{CURATED_PREFIX}{folder}",
            run_id=run_id,
            files=wanted,
        )
        compacted[folder] = {"files_before": len(files), "files_after": wanted}
    return JobReport(output=f"{gold}/{CURATED_PREFIX}", detail={"compacted": compacted})


def run(argv: Sequence[str]) -> JobReport:
    """Run the job with Glue-style arguments."""
    args = resolve_arguments(argv, REQUIRED, OPTIONAL)
    spark = get_spark(args.get("JOB_NAME", "GlueMedallionTransform"))
    run_id = args.get("JOB_RUN_ID") or f"local-{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="medallion-") as workdir:
        aws = boto3.session.Session()
        storage = job_storage(aws.client("s3"), Path(workdir))
        if args["step"] == COMPACT:
            return compact(spark, storage, args, run_id, datetime.now(UTC).date())
        if "run_date" not in args:
            raise ValueError("--step transform needs --run_date YYYY-MM-DD")
        table = aws.resource("dynamodb").Table(args["checkpoints_table"])
        result = transform(spark, storage, table, args, run_id)
        names.publish_rows(
            aws.client("cloudwatch"),
            args.get("JOB_NAME", "GlueMedallionTransform"),
            read=result.rows_read or 0,
            written=result.rows_written or 0,
            rejected=result.rows_rejected or 0,
        )
        return result


def report(argv: Sequence[str]) -> JobReport:
    """``run``, as the platform reads it (the local Glue executor calls the script's
    ``report``)."""
    return run(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """The script's body: log the report."""
    result = run(sys.argv if argv is None else argv)
    print(json.dumps(result.to_dict(), default=str), flush=True)


if __name__ == "__main__":
    main()
