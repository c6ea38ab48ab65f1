"""FileProcessorV2: one CSV object in, a Parquet table partition and its rejects out.

The steps, each testable on its own:

1. a bounded sample (the first MiB) gives the header, the encoding and the column types;
2. Spark reads the whole file once, every field as text, flagging records with the wrong
   number of fields; each typed value is checked and cast; a record with any problem is
   rejected with every reason; counts are observed during the same pass;
3. good rows, with ``processed_at``, ``source_file`` and ``processing_job``, are written as
   snappy Parquet to a staging location; rejects (only when there are any) are read again,
   located by line and written as JSON lines;
4. the staged files replace this source's previous output (commit), then the catalog table
   and its partition are created or updated.

Nothing is visible to readers before the commit, and ``rows_read == rows_written +
rows_rejected`` is checked before it.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from applications_repo.file_processor.job.column_names import PARTITION_COLUMN
from applications_repo.file_processor.job.column_plan import (
    METADATA_COLUMNS,
    PlannedColumn,
    header_metadata,
    metadata_values,
    output,
    plan_columns,
    problem,
    sql_string,
)
from applications_repo.file_processor.job.csv_sample import (
    SAMPLE_BYTES,
    CsvSample,
    NotCsvTextError,
    read_sample,
)
from applications_repo.file_processor.job.layout import (
    OutputLayout,
    dataset_name,
    source_id,
)
from applications_repo.file_processor.job.record_locator import RecordPosition, locate_records
from applications_repo.file_processor.job.summary import RunStatus, RunSummary
from shared.errors import PlatformError
from shared.glue.catalog import CatalogColumn, GlueCatalog, Partition
from shared.glue.storage import Storage

CORRUPT = "_corrupt_record"
BLOCK_START = "_block_start"
BLOCK_LENGTH = "_block_length"
ROW = "_row"
REASON = "_reason"
ROW_MASK = (1 << 33) - 1  # monotonically_increasing_id: the row index within the partition
MAX_REJECTED_ROWS = 100_000
REJECTS_CONTENT_TYPE = "application/x-ndjson"


class FileRejectedError(PlatformError):
    """The file as a whole cannot be processed (empty, no header, too many bad rows)."""


@dataclass(frozen=True)
class FileRequest:
    """One run of the job: which object version, where its outputs go, who runs it.

    Attributes:
        source_uri: ``s3://bucket/key`` (or a local path for ``gdp process``).
        source_version: the S3 version id; ``None`` for unversioned objects and local files.
        output_root: ``s3://output-bucket`` (or a local directory).
        job_name: written to every row's ``processing_job``.
        run_id: names the staging location.
        dataset: the table to write; derived from the key when not given.
        sample_bytes: how much of the file's start the types are inferred from.
    """

    source_uri: str
    source_version: str | None
    output_root: str
    job_name: str
    run_id: str
    dataset: str | None = None
    sample_bytes: int = SAMPLE_BYTES


def process_file(
    spark: SparkSession,
    storage: Storage,
    request: FileRequest,
    catalog: GlueCatalog | None = None,
) -> RunSummary:
    """Run FileProcessorV2 on one object and report what happened (never raises for bad input).

    A file that cannot be processed at all is REJECTED with its reason; an unexpected error
    makes the run FAILED; in both cases nothing is written.
    """
    started = datetime.now(UTC)
    try:
        summary = _process(spark, storage, request, catalog, started)
    except FileRejectedError as rejected:
        return RunSummary.ended(
            request.source_uri, RunStatus.REJECTED, started, error=str(rejected)
        )
    except Exception as error:  # the run's outcome is reported, not raised
        return RunSummary.ended(
            request.source_uri, RunStatus.FAILED, started, error=one_line(error)
        )
    return summary


def one_line(error: BaseException) -> str:
    """An exception as one readable line: its type and the first line of its message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _process(
    spark: SparkSession,
    storage: Storage,
    request: FileRequest,
    catalog: GlueCatalog | None,
    started: datetime,
) -> RunSummary:
    source, version = request.source_uri, request.source_version
    stat = storage.stat(source, version)
    if stat.size == 0:
        raise FileRejectedError("empty file (0 bytes)")
    with storage.open(source, version) as stream:
        try:
            sample = read_sample(stream, request.sample_bytes)
        except NotCsvTextError as problem:
            raise FileRejectedError(str(problem)) from None
    if not sample.header:
        raise FileRejectedError("no header line: the file holds only blank lines")
    # A local file is named like a key of its folder: .../sales/day.csv -> sales/day.csv
    key = (
        source.split("/", 3)[3] if source.startswith("s3://") else "/".join(source.split("/")[-2:])
    )
    layout = OutputLayout(
        root=request.output_root,
        dataset=request.dataset or dataset_name(key),
        source_id=source_id(source, version),
        ingest_date=stat.modified.astimezone(UTC).date(),
        run_id=request.run_id,
    )
    existing = catalog.columns(layout.dataset) if catalog else None
    columns = plan_columns(sample, existing)
    try:
        write = partial(
            _write_staged,
            spark,
            storage=storage,
            request=request,
            columns=columns,
            layout=layout,
            started=started,
        )
        outcome = write(sample=sample)
        if outcome.rejected and not sample.multiline and _has_split_quotes(outcome.rejected):
            storage.delete_prefix(layout.staging)
            sample = replace(sample, multiline=True)
            outcome = write(sample=sample)
        rejects = _located_rejects(storage, request, sample, columns, outcome.rejected)
        _commit(storage, layout, outcome.staged_files, rejects)
    finally:
        storage.delete_prefix(layout.staging)
    if catalog is not None:
        catalog.register(
            layout.dataset,
            layout.table_location,
            [CatalogColumn(c.name, c.type.spark_sql, c.raw_name) for c in columns]
            + [CatalogColumn(name, kind) for name, kind in METADATA_COLUMNS],
            [CatalogColumn(PARTITION_COLUMN, "string")],
            [Partition((layout.ingest_date.isoformat(),), layout.partition)],
        )
    summary = RunSummary.ended(
        request.source_uri,
        RunStatus.SUCCEEDED,
        started,
        rows_read=outcome.rows_read,
        rows_written=outcome.rows_written,
        rows_rejected=len(rejects),
        output=layout.data_prefix,
        rejects=layout.rejects_file if rejects else None,
        dataset=layout.dataset,
        columns={c.raw_name: c.name for c in columns},
    )
    storage.put(layout.manifest_file, summary.to_json().encode(), "application/json")
    return summary


@dataclass(frozen=True)
class StagedOutcome:
    rows_read: int
    rows_written: int
    staged_files: list[str]
    rejected: list[tuple[RecordPosition, str, str | None]]


def _write_staged(
    spark: SparkSession,
    *,
    storage: Storage,
    request: FileRequest,
    sample: CsvSample,
    columns: list[PlannedColumn],
    layout: OutputLayout,
    started: datetime,
) -> StagedOutcome:
    checked = checked_records(
        spark, storage.spark_input(request.source_uri, request.source_version), sample, columns
    )
    # Observations are named per session: concurrent runs in one session need their own.
    observation = Observation(f"file_processor_{request.run_id}_{uuid.uuid4().hex[:8]}")
    observed = checked.observe(
        observation,
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.when(F.col(REASON) != "", 1).otherwise(0)).alias("rejected"),
    )
    good = written_rows(observed, columns, request.source_uri, request.job_name, started)
    spark_path = storage.spark_output(layout.staging)
    good.write.mode("overwrite").parquet(spark_path)
    counts = observation.get
    rows_read, rejected_count = int(counts["rows"]), int(counts["rejected"] or 0)
    rows_written = spark.read.parquet(spark_path).count()
    if rejected_count > MAX_REJECTED_ROWS:
        raise FileRejectedError(
            f"{rejected_count} of {rows_read} rows are malformed (more than {MAX_REJECTED_ROWS}): "
            "is this the right file?"
        )
    rejected = []
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
    storage.after_spark_write(layout.staging)
    staged = [uri for uri in storage.list(layout.staging) if uri.endswith(".parquet")]
    return StagedOutcome(rows_read, rows_written, staged, rejected)


def checked_records(
    spark: SparkSession, path: str, sample: CsvSample, columns: Sequence[PlannedColumn]
) -> DataFrame:
    """Every record of the file as text, with where Spark read it and why it is rejected
    (``_reason`` is empty for good records)."""
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
        .option("encoding", sample.encoding)
        .option("quote", '"')
        .option("escape", '"')
        .option("maxCharsPerColumn", -1)
        .option("maxColumns", max(20480, len(columns) + 1))
        .csv(path)
    )
    wrong_width = sql_string(f"expected {len(columns)} fields")
    reasons = [f"CASE WHEN {CORRUPT} IS NOT NULL THEN {wrong_width} END"]
    reasons += [check for check in (problem(c) for c in columns) if check]
    return raw.selectExpr(
        "*",
        f"input_file_block_start() AS {BLOCK_START}",
        f"input_file_block_length() AS {BLOCK_LENGTH}",
        f"monotonically_increasing_id() & {ROW_MASK} AS {ROW}",
        f"concat_ws('; ', {', '.join(reasons)}) AS {REASON}",
    )


def written_rows(
    checked: DataFrame,
    columns: Sequence[PlannedColumn],
    source_file: str,
    job_name: str,
    processed_at: datetime,
) -> DataFrame:
    """The good records: typed source columns (header names kept as column metadata) and
    the spec's metadata columns."""
    return checked.where(f"{REASON} = ''").select(
        *(F.expr(output(c)).alias(c.name, metadata=header_metadata(c)) for c in columns),
        *(F.expr(value) for value in metadata_values(source_file, job_name, processed_at)),
    )


def _has_split_quotes(rejected: Sequence[tuple[RecordPosition, str, str | None]]) -> bool:
    """Rejected records whose quotes do not pair up: a quoted field ran over a line end
    after the sample, so the file must be read record by record instead of line by line."""
    return any(raw is not None and raw.count('"') % 2 == 1 for _, _, raw in rejected)


@dataclass(frozen=True)
class Reject:
    """One rejected record: where it is in the file, why, and what it said."""

    line: int | None
    reason: str
    record: str | None

    def to_json(self) -> str:
        return json.dumps(
            {"line": self.line, "reason": self.reason, "record": self.record}, ensure_ascii=False
        )


def _located_rejects(
    storage: Storage,
    request: FileRequest,
    sample: CsvSample,
    columns: Sequence[PlannedColumn],
    rejected: Sequence[tuple[RecordPosition, str, str | None]],
) -> list[Reject]:
    if not rejected:
        return []
    with storage.open(request.source_uri, request.source_version) as stream:
        located = locate_records(
            stream,
            [position for position, _, _ in rejected],
            encoding=sample.encoding,
            multiline=sample.multiline,
        )
    rejects = []
    for position, reason, corrupt in rejected:
        place = located.get(position)
        record = place.text if place else corrupt
        rejects.append(
            Reject(
                line=place.line if place else None,
                reason=_field_count_detail(reason, record, len(columns)),
                record=record,
            )
        )
    return sorted(rejects, key=lambda r: (r.line is None, r.line or 0))


def _field_count_detail(reason: str, record: str | None, expected: int) -> str:
    marker = f"expected {expected} fields"
    if record is None or not reason.startswith(marker):
        return reason
    found = len(next(csv.reader(io.StringIO(record)), []))
    return reason.replace(marker, f"{marker}, found {found}", 1)


def _commit(
    storage: Storage, layout: OutputLayout, staged_files: Sequence[str], rejects: Sequence[Reject]
) -> None:
    """Replace this source's previous output with the staged files, then its rejects."""
    for uri in storage.list(layout.data_prefix):
        if layout.is_data_file_of_source(uri):
            storage.delete(uri)
    for index, uri in enumerate(sorted(staged_files)):
        storage.move(uri, layout.data_file(index))
    if rejects:
        body = "".join(f"{reject.to_json()}\n" for reject in rejects).encode("utf-8")
        storage.put(layout.rejects_file, body, REJECTS_CONTENT_TYPE)
    else:
        storage.delete(layout.rejects_file)
