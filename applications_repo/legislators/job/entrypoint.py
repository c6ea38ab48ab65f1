"""The ProcessLegislators Glue job script.

Reads persons, memberships and organizations (newline-delimited JSON) from ``--input_uri``,
writes their membership history as Parquet partitioned by ``org_name`` to
``s3://{output_bucket}/legislators_history/`` (replacing the previous run's), and registers
the table in ``--database``. Runs unchanged under AWS Glue and under local Spark::

    --input_uri s3://awsglue-datasets/examples/us-legislators/all/ --output_bucket O
    --database D [--JOB_NAME N --JOB_RUN_ID R]
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from urllib.parse import unquote

import boto3
from pyspark.sql import SparkSession

from applications_repo.legislators.job.history import (
    INPUT_FILES,
    MEMBERSHIPS_FILE,
    ORGANIZATIONS_FILE,
    PARTITION_COLUMN,
    PERSONS_FILE,
    HistoryCounts,
    membership_history,
)
from shared.glue.arguments import resolve_arguments
from shared.glue.catalog import CatalogColumn, GlueCatalog, Partition, catalog_calls
from shared.glue.session import get_spark
from shared.glue.storage import (
    Storage,
    is_spark_side_file,
    job_storage,
    join_uri,
    storage_calls,
)
from shared.outcomes import JobReport

REQUIRED = ("input_uri", "output_bucket", "database")
OPTIONAL = ("JOB_NAME", "JOB_RUN_ID")
TABLE = "legislators_history"
STAGING_PREFIX = "_staging"
AWS_CALLS = (
    ("s3:GetObject", "{arg.input_uri_arn}*"),
    ("s3:ListBucket", "{arg.input_uri_bucket_arn}"),
    *storage_calls("{arg.output_bucket}", write=True),
    *catalog_calls("{arg.database}"),
)
"""The AWS calls this job makes (checked against its role by tests/deployability)."""


def process_legislators(
    spark: SparkSession,
    storage: Storage,
    *,
    input_uri: str,
    output_root: str,
    run_id: str,
    catalog: GlueCatalog | None = None,
) -> HistoryCounts:
    """Build the history from ``input_uri`` and publish it under ``output_root``."""
    frames = {
        name: spark.read.json(storage.spark_input(join_uri(input_uri, name)))
        for name in INPUT_FILES
    }
    history = membership_history(
        frames[PERSONS_FILE], frames[MEMBERSHIPS_FILE], frames[ORGANIZATIONS_FILE]
    )
    staging = join_uri(output_root, STAGING_PREFIX, run_id)
    target = join_uri(output_root, TABLE)
    try:
        history.write.mode("overwrite").partitionBy(PARTITION_COLUMN).parquet(
            storage.spark_output(staging)
        )
        written = spark.read.parquet(storage.spark_output(staging)).count()
        storage.after_spark_write(staging)
        staged = [uri for uri in storage.list(staging) if not is_spark_side_file(uri)]
        storage.delete_prefix(target)
        for uri in staged:
            storage.move(uri, join_uri(target, uri[len(staging) :]))
    finally:
        storage.delete_prefix(staging)
    counts = HistoryCounts(
        persons=frames[PERSONS_FILE].count(),
        memberships=frames[MEMBERSHIPS_FILE].count(),
        organizations=frames[ORGANIZATIONS_FILE].count(),
        history=written,
        output=f"{target}/",
    )
    if catalog is not None:
        folders = sorted(
            {uri[len(target) :].strip("/").split("/")[0] for uri in storage.list(target)}
        )
        catalog.register(
            TABLE,
            f"{target}/",
            [
                CatalogColumn(f.name, f.dataType.simpleString())
                for f in history.schema.fields
                if f.name != PARTITION_COLUMN
            ],
            [CatalogColumn(PARTITION_COLUMN, "string")],
            [Partition((unquote(f.split("=", 1)[1]),), f) for f in folders],
        )
    return counts


def run(argv: Sequence[str]) -> HistoryCounts:
    """Run the job with Glue-style arguments; returns the counts."""
    args = resolve_arguments(argv, REQUIRED, OPTIONAL)
    spark = get_spark(args.get("JOB_NAME", "ProcessLegislators"))
    run_id = args.get("JOB_RUN_ID") or f"local-{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="legislators-") as workdir:
        aws = boto3.session.Session()
        storage = job_storage(aws.client("s3"), Path(workdir))
        return process_legislators(
            spark,
            storage,
            input_uri=args["input_uri"],
            output_root=f"s3://{args['output_bucket']}",
            run_id=run_id,
            catalog=GlueCatalog(aws.client("glue"), args["database"]),
        )


def report(argv: Sequence[str]) -> JobReport:
    """``run``, as the platform reads it (the local Glue executor calls the script's
    ``report``)."""
    counts = run(argv)
    return JobReport(
        rows_read=counts.rows_read,
        rows_written=counts.history,
        output=counts.output or None,
        detail=asdict(counts),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """The script's body: log the counts."""
    counts = run(sys.argv if argv is None else argv)
    print(json.dumps(asdict(counts)), flush=True)


if __name__ == "__main__":
    main()
