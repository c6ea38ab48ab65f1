"""FileProcessorV2: one CSV object in, a Parquet table partition and its rejects out.

1. A bounded sample (the first MiB) gives the header, the encoding and the column types
   (column_plan), and refuses content that is not CSV text;
2. an engine (SparkEngine for large files, ArrowEngine for the rest: same contract, same
   result) reads the whole file, checks and converts every record, and stages the good rows
   as snappy Parquet with ``processed_at``, ``source_file`` and ``processing_job``; rejected
   records come back with their line, reason and text;
3. the staged files replace this source's previous output (commit), the rejects are written
   beside it, then the catalog table and its partition are created or updated.

Nothing is visible to readers before the commit, and ``rows_read == rows_written +
rows_rejected`` is checked before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from applications_repo.file_processor.job.column_names import PARTITION_COLUMN
from applications_repo.file_processor.job.column_plan import (
    METADATA_TYPES,
    PlannedColumn,
    plan_columns,
)
from applications_repo.file_processor.job.csv_blocks import growing_blocks
from applications_repo.file_processor.job.csv_sample import (
    SAMPLE_BYTES,
    CsvSample,
    NotCsvTextError,
    read_sample,
)
from applications_repo.file_processor.job.layout import OutputLayout, dataset_name, source_id
from applications_repo.file_processor.job.schema_policy import IncompatibleFileError, conform
from applications_repo.file_processor.job.staging import (
    Engine,
    FileRejectedError,
    LateMisfitError,
    Reject,
    StageRequest,
)
from applications_repo.file_processor.job.summary import RunStatus, RunSummary
from applications_repo.file_processor.job.type_widening import widened_columns
from shared.glue.catalog import Catalog, CatalogColumn, Partition
from shared.glue.storage import Storage

REJECTS_CONTENT_TYPE = "application/x-ndjson"


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
    engine: Engine,
    storage: Storage,
    request: FileRequest,
    catalog: Catalog | None = None,
) -> RunSummary:
    """Run FileProcessorV2 on one object and report what happened (never raises for bad input).

    A file that cannot be processed at all is REJECTED with its reason; an unexpected error
    makes the run FAILED; in both cases nothing is written.
    """
    started = datetime.now(UTC)
    try:
        summary = _process(engine, storage, request, catalog, started)
    except FileRejectedError as rejected:
        return RunSummary.ended(
            request.source_uri,
            RunStatus.REJECTED,
            started,
            error=str(rejected),
            dataset=rejected.dataset,
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
    engine: Engine,
    storage: Storage,
    request: FileRequest,
    catalog: Catalog | None,
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
    sampled = plan_columns(sample)
    table = catalog.columns(layout.dataset) if catalog else None
    stage = StageRequest(
        source_uri=source,
        source_version=version,
        sample=sample,
        columns=_conformed(sampled, table, layout.dataset, sample),
        layout=layout,
        job_name=request.job_name,
        processed_at=started,
        stop_at_misfit=not sample.every_row and engine.stops_at_misfit,
    )
    try:
        if not sample.every_row and not stage.stop_at_misfit:
            stage = _widened(storage, stage, sampled, table)
        try:
            outcome = engine.stage(storage, stage)
        except LateMisfitError:
            outcome = engine.stage(storage, _widened(storage, stage, sampled, table))
        columns = stage.columns
        rejects = outcome.rejects
        _commit(storage, layout, outcome.staged_files, rejects)
    finally:
        storage.delete_prefix(layout.staging)
    if catalog is not None:
        catalog.register(
            layout.dataset,
            layout.table_location,
            [CatalogColumn(c.name, c.type.spark_sql, c.raw_name) for c in columns]
            + [CatalogColumn(name, kind.spark_sql) for name, kind in METADATA_TYPES.items()],
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
        engine=engine.name,
    )
    storage.put(layout.manifest_file, summary.to_json().encode(), "application/json")
    return summary


def _conformed(
    columns: Sequence[PlannedColumn],
    table: Sequence[CatalogColumn] | None,
    dataset: str,
    sample: CsvSample,
) -> list[PlannedColumn]:
    try:
        return conform(columns, table, dataset, sample)
    except IncompatibleFileError as problem:
        raise FileRejectedError(str(problem), dataset=dataset) from None


def _widened(
    storage: Storage,
    stage: StageRequest,
    sampled: Sequence[PlannedColumn],
    table: Sequence[CatalogColumn] | None,
) -> StageRequest:
    """The request with the sample's types widened to fit the whole file, then conformed
    to the dataset's table (one streaming pass over the file)."""

    def widen(block_bytes: int) -> list[PlannedColumn]:
        with storage.open(stage.source_uri, stage.source_version) as stream:
            return widened_columns(stream, stage.sample, sampled, block_bytes)

    widened = growing_blocks(widen)
    columns = _conformed(widened, table, stage.layout.dataset, stage.sample)
    return replace(stage, columns=columns, stop_at_misfit=False)


def _commit(
    storage: Storage, layout: OutputLayout, staged_files: Sequence[str], rejects: Sequence[Reject]
) -> None:
    """Replace this source's previous output with the staged files, then its rejects."""
    for uri in storage.list(layout.source_data_prefix):
        storage.delete(uri)
    for index, uri in enumerate(sorted(staged_files)):
        storage.move(uri, layout.data_file(index))
    if rejects:
        body = "".join(f"{reject.to_json()}\n" for reject in rejects).encode("utf-8")
        storage.put(layout.rejects_file, body, REJECTS_CONTENT_TYPE)
    else:
        storage.delete(layout.rejects_file)
