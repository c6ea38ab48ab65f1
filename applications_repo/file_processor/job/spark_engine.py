"""The Spark engine of FileProcessorV2: for files too large for one machine.

Spark reads the whole file once, every field as text, flagging records with the wrong number
of fields; the executors check and convert each batch of values with Arrow (``mapInArrow``
running value_checks: the Arrow engine's own rule, so both engines agree by construction);
counts are observed in the same pass; good rows are written as snappy Parquet. Only when there
are rejects is the file read again to collect them; they are then located by line
(record_locator).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from applications_repo.file_processor.job.column_names import (
    PROCESSED_AT,
    PROCESSING_JOB,
    SOURCE_FILE,
)
from applications_repo.file_processor.job.column_plan import PlannedColumn, header_metadata
from applications_repo.file_processor.job.csv_sample import CsvSample
from applications_repo.file_processor.job.record_locator import RecordPosition, locate_records
from applications_repo.file_processor.job.staging import (
    MAX_REJECTED_ROWS,
    Reject,
    Staged,
    StageRequest,
    field_count_detail,
    in_file_order,
    too_many_rejects,
)
from applications_repo.file_processor.job.value_checks import check_batch
from shared.glue.storage import Storage

CORRUPT = "_corrupt_record"
BLOCK_START = "_block_start"
BLOCK_LENGTH = "_block_length"
ROW = "_row"
REASON = "_reason"
ROW_MASK = (1 << 33) - 1  # monotonically_increasing_id: the row index within the partition
ARROW_BATCH_ROWS = "spark.sql.execution.arrow.maxRecordsPerBatch"
ARROW_BATCH_CELLS = 1_000_000
MIN_BATCH_ROWS, MAX_BATCH_ROWS = 1_000, 100_000

Rejected = tuple[RecordPosition, str, str | None]


class SparkEngine:
    """FileProcessorV2 on a SparkSession (AWS Glue's, or local Spark)."""

    name = "spark"
    stops_at_misfit = False

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def stage(self, storage: Storage, request: StageRequest) -> Staged:
        rows_read, rows_written, staged, rejected = self._write(storage, request)
        sample = request.sample
        if rejected and not sample.multiline and _has_split_quotes(rejected):
            # A quoted field runs over a line end after the sample: read record by record.
            storage.delete_prefix(request.layout.staging)
            sample = replace(sample, multiline=True)
            request = replace(request, sample=sample)
            rows_read, rows_written, staged, rejected = self._write(storage, request)
        rejects = _located(storage, request, rejected)
        return Staged(rows_read, rows_written, staged, rejects)

    def _write(
        self, storage: Storage, request: StageRequest
    ) -> tuple[int, int, list[str], list[Rejected]]:
        path = storage.spark_input(request.source_uri, request.source_version)
        checked = checked_records(self.spark, path, request.sample, request.columns)
        # Observations are named per session: concurrent runs in one session need their own.
        observation = Observation(f"file_processor_{uuid.uuid4().hex}")
        observed = checked.observe(
            observation,
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.when(F.col(REASON) != "", 1).otherwise(0)).alias("rejected"),
        )
        good = written_rows(observed, request)
        staging = request.layout.staging
        spark_path = storage.spark_output(staging)
        good.write.mode("overwrite").parquet(spark_path)
        counts = observation.get
        rows_read, rejected_count = int(counts["rows"]), int(counts["rejected"] or 0)
        rows_written = self.spark.read.parquet(spark_path).count()
        if rejected_count > MAX_REJECTED_ROWS:
            raise too_many_rejects(rejected_count, rows_read)
        rejected: list[Rejected] = []
        if rejected_count:
            rejected = [
                (RecordPosition(r[BLOCK_START], r[BLOCK_LENGTH], r[ROW]), r[REASON], r[CORRUPT])
                for r in checked.where(f"{REASON} != ''")
                .select(BLOCK_START, BLOCK_LENGTH, ROW, REASON, CORRUPT)
                .collect()
            ]
        if rows_read != rows_written + len(rejected):
            raise RuntimeError(
                f"row accounting failed: read {rows_read}, "
                f"wrote {rows_written}, rejected {len(rejected)}"
            )
        storage.after_spark_write(staging)
        staged = [uri for uri in storage.list(staging) if uri.endswith(".parquet")]
        return rows_read, rows_written, staged, rejected


def checked_records(
    spark: SparkSession, path: str, sample: CsvSample, columns: Sequence[PlannedColumn]
) -> DataFrame:
    """Every record of the file with its values converted, where Spark read it and why it is
    rejected (``_reason`` is empty for good records)."""
    schema = T.StructType(
        [T.StructField(c.field, T.StringType()) for c in columns]
        + [T.StructField(CORRUPT, T.StringType())]
    )
    raw = (
        spark.read.schema(schema)
        .option("header", True)
        .option("enforceSchema", True)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT)
        .option("multiLine", sample.multiline)
        .option("sep", sample.delimiter)
        .option("encoding", sample.encoding)
        .option("quote", '"')
        .option("escape", '"')
        .option("maxCharsPerColumn", -1)
        .option("maxColumns", max(20480, len(columns) + 1))
        .csv(path)
    )
    positioned = raw.selectExpr(
        "*",
        f"input_file_block_start() AS {BLOCK_START}",
        f"input_file_block_length() AS {BLOCK_LENGTH}",
        f"monotonically_increasing_id() & {ROW_MASK} AS {ROW}",
    )
    if sample.preamble:
        # Spark took the sep= line for the header: the real header is the first record
        positioned = positioned.where(f"NOT ({BLOCK_START} = 0 AND {ROW} < {sample.preamble})")
    spark.conf.set(ARROW_BATCH_ROWS, str(arrow_batch_rows(len(columns))))
    return positioned.mapInArrow(
        partial(check_partition, columns=list(columns), line_ending=sample.line_ending),
        checked_schema(columns),
    )


def arrow_batch_rows(columns: int) -> int:
    """Rows per Arrow batch: about ARROW_BATCH_CELLS values, within bounds."""
    return max(MIN_BATCH_ROWS, min(MAX_BATCH_ROWS, ARROW_BATCH_CELLS // max(columns, 1)))


def checked_schema(columns: Sequence[PlannedColumn]) -> str:
    """The schema of the checked records, as DDL."""
    typed = [f"`{c.field}` {c.type.spark_sql}" for c in columns]
    return ", ".join(
        [
            *typed,
            f"`{CORRUPT}` string",
            f"`{BLOCK_START}` bigint",
            f"`{BLOCK_LENGTH}` bigint",
            f"`{ROW}` bigint",
            f"`{REASON}` string",
        ]
    )


def check_partition(
    batches: Iterator[pa.RecordBatch], columns: Sequence[PlannedColumn], line_ending: str
) -> Iterator[pa.RecordBatch]:
    """On the executors: each batch's values checked and converted by the rule the Arrow
    engine uses (value_checks); a record Spark could not split into the expected fields is
    rejected for that alone."""
    wrong_width = f"expected {len(columns)} fields"
    names = [*(c.field for c in columns), CORRUPT, BLOCK_START, BLOCK_LENGTH, ROW, REASON]
    for batch in batches:
        checked = check_batch(batch, columns, line_ending)
        corrupt = batch.column(CORRUPT)
        reasons = pc.if_else(pc.is_valid(corrupt), wrong_width, checked.reasons)
        passed = [batch.column(name) for name in (CORRUPT, BLOCK_START, BLOCK_LENGTH, ROW)]
        yield pa.RecordBatch.from_arrays([*checked.values, *passed, reasons], names=names)


def written_rows(checked: DataFrame, request: StageRequest) -> DataFrame:
    """The good records: typed source columns (header names kept as column metadata) and
    the spec's metadata columns."""
    metadata = metadata_values(request.source_uri, request.job_name, request.processed_at)
    return checked.where(f"{REASON} = ''").select(
        *(F.col(c.field).alias(c.name, metadata=header_metadata(c)) for c in request.columns),
        *(F.expr(value) for value in metadata),
    )


def _has_split_quotes(rejected: Sequence[Rejected]) -> bool:
    """Rejected records whose quotes do not pair up."""
    return any(raw is not None and raw.count('"') % 2 == 1 for _, _, raw in rejected)


def _located(storage: Storage, request: StageRequest, rejected: Sequence[Rejected]) -> list[Reject]:
    if not rejected:
        return []
    with storage.open(request.source_uri, request.source_version) as stream:
        located = locate_records(
            stream,
            [position for position, _, _ in rejected],
            encoding=request.sample.encoding,
            multiline=request.sample.multiline,
        )
    rejects = []
    for position, reason, corrupt in rejected:
        place = located.get(position)
        record = place.text if place else corrupt
        rejects.append(
            Reject(
                line=place.line if place else None,
                reason=field_count_detail(
                    reason, record, len(request.columns), request.sample.delimiter
                ),
                record=record,
            )
        )
    return in_file_order(rejects)


def sql_string(value: str) -> str:
    """A Spark SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def metadata_values(source_file: str, job_name: str, processed_at: datetime) -> list[str]:
    """The spec's metadata columns: ``processed_at``, ``source_file``, ``processing_job``."""
    return [
        f"CAST({sql_string(processed_at.isoformat())} AS TIMESTAMP) AS {PROCESSED_AT}",
        f"{sql_string(source_file)} AS {SOURCE_FILE}",
        f"{sql_string(job_name)} AS {PROCESSING_JOB}",
    ]
