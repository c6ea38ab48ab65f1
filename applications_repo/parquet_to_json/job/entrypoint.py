"""The parquet-to-json job script: one uploaded Parquet file to JSON Lines, its metadata item
moved along, on Spark (the Glue job) or on Arrow (the single-node function runs this same
script).

1. Moves the item to RUNNING with the start token the orchestrator gave the run (a run
   without it, or for an item that has finished, does nothing). A Glue retry attempt carries
   the same token and takes the run over.
2. Converts the file (``conversion``): schema, quality rules, good rows to
   ``--output_key``, failing rows with their reasons to ``--rejects_key``, counts verified,
   both committed whole; progress recorded at most every ``--progress_seconds``.
3. Before committing, checks that no newer upload of the same key has been recorded: an
   older version's run that finishes late does not overwrite the newer version's JSON.
4. Moves the item to SUCCEEDED (record_count, the violations of each rule), REJECTED (the
   schema or the file is wrong: the upload is quarantined with the reason) or FAILED (the
   error; the run then fails, and Glue or Lambda retries it).

Arguments::

    --source_bucket B --source_key K [--source_version V] --output_bucket O
    --output_key K --rejects_key K --contract JSON [--engine spark|arrow]
    [--metadata_table T --file_id F --start_token S] [--batch_rows N] [--progress_seconds N]
    [--metrics_service S]           (the service dimension of its metrics; another
                                     application running this job names its own)
    [--JOB_NAME N --JOB_RUN_ID R]   (set by Glue; the local executor sets them too)
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3

from applications_repo.parquet_to_json import metrics as own
from applications_repo.parquet_to_json.contract import Contract
from applications_repo.parquet_to_json.job.conversion import (
    Conversion,
    ConversionRequest,
    convert_file,
    first_line,
)
from applications_repo.parquet_to_json.job.engines import make_engine
from applications_repo.parquet_to_json.metadata import (
    CREATED,
    FILE_ID,
    MetadataTable,
    Status,
    table_calls,
)
from shared import metrics
from shared.glue.arguments import resolve_arguments
from shared.glue.storage import job_storage, storage_calls
from shared.outcomes import FAILED, REJECTED, JobReport
from shared.quarantine import quarantine, quarantine_calls

REQUIRED = (
    "source_bucket",
    "source_key",
    "output_bucket",
    "output_key",
    "rejects_key",
    "contract",
)
OPTIONAL = (
    "source_version",
    "engine",
    "metadata_table",
    "file_id",
    "start_token",
    "batch_rows",
    "progress_seconds",
    "JOB_NAME",
    "JOB_RUN_ID",
    "metrics_service",
)
DEFAULT_JOB_NAME = "GlueParquetToJson"
ATTEMPT = re.compile(r"_attempt_\d+$")
AWS_CALLS = (
    *storage_calls("{arg.source_bucket}", write=False),
    ("s3:GetObjectVersion", "arn:{partition}:s3:::{arg.source_bucket}/*"),
    *quarantine_calls("{arg.source_bucket}"),
    *storage_calls("{arg.output_bucket}", write=True),
    ("s3:AbortMultipartUpload", "arn:{partition}:s3:::{arg.output_bucket}/*"),
    *table_calls("{arg.metadata_table}"),
    ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": metrics.NAMESPACE}),
)
"""The AWS calls this job makes (checked against its role by tests/deployability)."""


class ConversionFailedError(RuntimeError):
    """Raised at the end of a FAILED run so that Glue marks the run FAILED (and retries it)."""


class ProgressRecorder:
    """Writes the run's progress to its item, at most every ``seconds``."""

    def __init__(self, table: MetadataTable | None, item_id: str, run_id: str, seconds: float):
        self.table, self.item_id, self.run_id, self.seconds = table, item_id, run_id, seconds
        self.last = time.monotonic()

    def __call__(self, progress: Mapping[str, Any]) -> None:
        if self.table is None or time.monotonic() - self.last < self.seconds:
            return
        self.last = time.monotonic()
        self.table.progress(self.item_id, self.run_id, progress)


def run(argv: Sequence[str]) -> Conversion:
    """Convert the object the arguments name; the run's outcome."""
    args = resolve_arguments(argv, REQUIRED, OPTIONAL)
    job_name = args.get("JOB_NAME", DEFAULT_JOB_NAME)
    service = args.get("metrics_service", own.JOB_SERVICE)
    run_id = args.get("JOB_RUN_ID") or f"local-{uuid.uuid4().hex[:12]}"
    aws = boto3.session.Session()
    s3 = aws.client("s3")
    engine_name = args.get("engine", "spark")
    table = (
        MetadataTable(aws.resource("dynamodb").Table(args["metadata_table"]))
        if args.get("metadata_table")
        else None
    )
    item_id = args.get("file_id", "")
    source = f"s3://{args['source_bucket']}/{args['source_key']}"
    if table is not None and not table.begin_run(
        item_id, args.get("start_token", ""), run_id, engine_name
    ):
        return Conversion(
            status=REJECTED,
            engine=engine_name,
            error=f"{run_id} does not hold {item_id} (another run does, or it has finished): "
            "nothing was done",
        )
    request = ConversionRequest(
        source=source,
        source_version=args.get("source_version") or None,
        output=f"s3://{args['output_bucket']}/{args['output_key']}",
        rejects=f"s3://{args['output_bucket']}/{args['rejects_key']}",
        run_id=ATTEMPT.sub("", run_id),
        contract=Contract.from_json(args["contract"]),
        batch_rows=int(args.get("batch_rows", 65_536)),
    )
    progress = ProgressRecorder(table, item_id, run_id, float(args.get("progress_seconds", 30)))
    try:
        with tempfile.TemporaryDirectory(prefix="parquet-to-json-") as workdir:
            conversion = convert_file(
                make_engine(engine_name, job_name),
                job_storage(s3, Path(workdir)),
                s3,
                request,
                progress=progress,
                superseded=lambda: newer_upload(table, item_id, source),
            )
    except Exception as error:  # the run fails: recorded, then raised for Glue to retry
        failed = Conversion(status=FAILED, engine=engine_name, error=first_line(error))
        _record(table, item_id, run_id, failed)
        _publish(aws.client("cloudwatch"), job_name, failed, service)
        raise
    kept = _quarantine(s3, args, conversion, job_name) if conversion.status == REJECTED else None
    _record(table, item_id, run_id, conversion, kept)
    _publish(aws.client("cloudwatch"), job_name, conversion, service)
    return conversion


def newer_upload(table: MetadataTable | None, item_id: str, source: str) -> str | None:
    """The file id of an upload of ``source`` recorded after this run's item, if any."""
    if table is None:
        return None
    mine, latest = table.get(item_id), table.latest_of(source)
    if not mine or not latest or latest[FILE_ID] == item_id:
        return None
    return str(latest[FILE_ID]) if latest[CREATED] > mine[CREATED] else None


def _record(
    table: MetadataTable | None,
    item_id: str,
    run_id: str,
    done: Conversion,
    quarantined: str | None = None,
) -> None:
    if table is None:
        return
    values: dict[str, Any] = {"engine": done.engine, "seconds": done.seconds}
    if quarantined:
        values["quarantine"] = quarantined
    if done.rows_read is not None:
        values |= {
            "rows_read": done.rows_read,
            "record_count": done.rows_written,
            "rejected_count": done.rows_rejected,
            "quality_violations": dict(done.violations),
        }
    if done.schema:
        values["schema_report"] = dict(done.schema)
    if done.rejects:
        values["rejects_written"] = done.rejects
    if done.superseded_by:
        values["superseded_by"] = done.superseded_by
    error = None if done.status == "SUCCEEDED" else done.error or done.status
    table.finish(item_id, run_id, Status(done.status), values, error=error)


def _quarantine(s3: Any, args: Mapping[str, str], done: Conversion, job_name: str) -> str:
    """Keep the rejected upload and its reason; where the reason is."""
    version = args.get("source_version") or None
    head = s3.head_object(
        Bucket=args["source_bucket"],
        Key=args["source_key"],
        **({"VersionId": version} if version else {}),
    )
    return quarantine(
        s3,
        bucket=args["source_bucket"],
        key=args["source_key"],
        version_id=version,
        size=head["ContentLength"],
        reason=done.error or "rejected",
        rejected_by=job_name,
    )


def _publish(cloudwatch: Any, job_name: str, done: Conversion, service: str) -> None:
    """The file's outcome and duration (service dimension) and, for a converted file, its
    rows (dimension JobName, which the platform's rejected-rows alarm reads)."""
    outcome = {
        "SUCCEEDED": own.FILES_SUCCEEDED,
        FAILED: own.FILES_FAILED,
        REJECTED: own.FILES_REJECTED,
    }[done.status]
    own.publish(cloudwatch, service, {outcome: 1})
    own.publish(cloudwatch, service, {own.CONVERSION_SECONDS: done.seconds}, "Seconds")
    if done.rows_read is not None:
        metrics.publish_rows(
            cloudwatch,
            job_name,
            read=done.rows_read,
            written=done.rows_written or 0,
            rejected=done.rows_rejected or 0,
        )


def report(argv: Sequence[str]) -> JobReport:
    """``run``, as the platform reads it (the local Glue executor and the function job call
    the script's ``report``)."""
    return run(argv).job_report()


def main(argv: Sequence[str] | None = None) -> None:
    """The script's body: log the outcome; a FAILED run ends the job run FAILED."""
    conversion = run(sys.argv if argv is None else argv)
    print(json.dumps(conversion.job_report().to_dict(), default=str), flush=True)
    if conversion.status == FAILED:
        raise ConversionFailedError(conversion.error)


if __name__ == "__main__":
    main()
