"""One run of the batch job on one manifest: stage its files, merge them, commit the output,
move the files' statuses (the steps are listed in ``entrypoint``)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from applications_repo.ndjson_batching.job.merge import (
    catalog_columns,
    data_only,
    file_count,
    in_files,
    merge,
    reject_frame,
    staged_name,
)
from applications_repo.ndjson_batching.manifest import Manifest, ManifestFile
from applications_repo.ndjson_batching.tracking import (
    PARTITION_KEY,
    SORT_KEY,
    FileStatus,
    TrackingTable,
)
from shared import clock
from shared.glue.catalog import PARQUET_STORAGE, CatalogColumn, GlueCatalog
from shared.glue.storage import Storage, is_spark_side_file, join_uri

TABLE = "ndjson_merged"
PARTITION_KEYS = (CatalogColumn("batch_date", "string"), CatalogColumn("batch_id", "string"))
STAGING = "_staging"
COPY_THREADS = 16
RUN_ID_CHARS = 19
"""A run's folder is named by its id's first characters (``jr_`` and 16 hex digits)."""


@dataclass
class BatchResult:
    """What one run did with its manifest."""

    manifest: str
    files: int = 0
    files_completed: int = 0
    files_failed: int = 0
    files_skipped: int = 0
    lines: int = 0
    rows: int = 0
    rejected_lines: int = 0
    parquet_files: int = 0
    output: str | None = None
    rejects: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Batch:
    """A run's manifest, where it writes, and its clients."""

    manifest: Manifest
    run_id: str
    output_bucket: str
    target_bytes: int
    s3: Any
    glue: Any
    database: str
    tracking: TrackingTable
    storage: Storage

    @property
    def output_root(self) -> str:
        return f"s3://{self.output_bucket}"

    @property
    def staging(self) -> str:
        return join_uri(self.output_root, STAGING, self.manifest.manifest_id, self.run_id)

    @property
    def manifest_folder(self) -> str:
        return join_uri(
            self.output_root,
            f"merged-parquet-{self.manifest.date_prefix}",
            f"manifest={self.manifest.manifest_id}",
        )

    @property
    def run_folder(self) -> str:
        return join_uri(self.manifest_folder, f"run={self.run_id[:RUN_ID_CHARS]}")

    @property
    def rejects_uri(self) -> str:
        return join_uri(
            self.output_root,
            "rejects",
            f"merged-parquet-{self.manifest.date_prefix}",
            f"{self.manifest.manifest_id}.jsonl",
        )


def process_batch(spark: SparkSession, batch: Batch) -> BatchResult:
    """Merge the manifest's files, commit the output, and move the files' statuses."""
    manifest = batch.manifest
    result = BatchResult(manifest=manifest.key, files=len(manifest.files))
    ours = [f for f in manifest.files if _move(batch, f, FileStatus.PROCESSING)]
    result.files_skipped = len(manifest.files) - len(ours)
    try:
        staged, failed = _stage_inputs(batch, ours)
        for file, reason in failed:
            _move(batch, file, FileStatus.FAILED, reason=reason)
            result.errors.append(f"{file.uri}: {reason}")
        result.files_failed = len(failed)
        if staged:
            _merge_and_commit(spark, batch, staged, result)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        for file in ours:
            _move(batch, file, FileStatus.FAILED, reason=reason)
        raise
    finally:
        batch.storage.delete_prefix(batch.staging)
    return result


def _stage_inputs(
    batch: Batch, files: Sequence[ManifestFile]
) -> tuple[dict[int, ManifestFile], list[tuple[ManifestFile, str]]]:
    """Copy each file's version into staging after checking its ETag; ``index -> file`` of
    those staged, and ``(file, reason)`` of those that could not be."""

    def stage(index: int, file: ManifestFile) -> str | None:
        version = {"VersionId": file.version_id} if file.version_id else {}
        try:
            head = batch.s3.head_object(Bucket=file.bucket, Key=file.key, **version)
        except batch.s3.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("404", "NoSuchKey", "NoSuchVersion", "NotFound"):
                return f"object version {file.version_id} is gone"
            raise
        etag = head["ETag"].strip('"')
        if etag != file.etag:
            return f"ETag {etag} is not the manifest's {file.etag}: the object changed"
        _, staging_key = batch.staging.removeprefix("s3://").split("/", 1)
        batch.s3.copy_object(
            Bucket=batch.output_bucket,
            Key=f"{staging_key}/input/{staged_name(index)}",
            CopySource={"Bucket": file.bucket, "Key": file.key, **version},
        )
        return None

    with ThreadPoolExecutor(COPY_THREADS, thread_name_prefix="stage-input") as pool:
        problems = list(pool.map(lambda pair: stage(*pair), enumerate(files)))
    staged = {i: f for i, (f, p) in enumerate(zip(files, problems, strict=True)) if p is None}
    failed = [(f, p) for f, p in zip(files, problems, strict=True) if p is not None]
    return staged, failed


def _merge_and_commit(
    spark: SparkSession, batch: Batch, staged: dict[int, ManifestFile], result: BatchResult
) -> None:
    storage = batch.storage
    inputs = [join_uri(batch.staging, "input", staged_name(i)) for i in sorted(staged)]
    with ThreadPoolExecutor(COPY_THREADS, thread_name_prefix="stage-local") as pool:
        paths = list(pool.map(storage.spark_input, inputs))
    catalog = GlueCatalog(batch.glue, batch.database)
    merged = merge(spark, paths, catalog.columns(TABLE))
    try:
        counts = merged.counts_by_file()
        result.rows = sum(rows for rows, _ in counts.values())
        result.rejected_lines = sum(rejected for _, rejected in counts.values())
        result.lines = result.rows + result.rejected_lines
        rows = merged.rows
        parts = _write_rows(batch, rows, result.rows)
        rejects = None
        if result.rejected_lines:
            sources = {i: (f.uri, f.version_id) for i, f in staged.items()}
            rejects = _write_staged_json(batch, reject_frame(spark, merged.rejects, sources))
        _commit(batch, catalog, rows=rows, parts=parts, rejects=rejects, result=result)
    finally:
        merged.release()
    for index, file in staged.items():
        records, rejected = counts.get(index, (0, 0))
        fields: dict[str, Any] = {
            "records": records,
            "rejected_lines": rejected,
            "run_id": batch.run_id,
        }
        if result.output:
            fields["output"] = result.output
        if rejected and result.rejects:
            fields["rejects"] = result.rejects
        _move(batch, file, FileStatus.COMPLETED, set_fields=fields)
    result.files_completed = len(staged)


def _write_rows(batch: Batch, rows: DataFrame, total: int) -> list[str]:
    """Write the rows into staging as files of about the target size; their URIs."""
    storage = batch.storage

    def write_sample(sample: DataFrame) -> int:
        uri = join_uri(batch.staging, "sample")
        data_only(sample).write.mode("overwrite").parquet(storage.spark_output(uri))
        storage.after_spark_write(uri)
        return sum(storage.stat(u).size for u in storage.list(uri) if not is_spark_side_file(u))

    files = file_count(rows, total, batch.target_bytes, write_sample)
    if not files:
        return []
    uri = join_uri(batch.staging, "rows")
    in_files(data_only(rows), files).write.mode("overwrite").parquet(storage.spark_output(uri))
    storage.after_spark_write(uri)
    return sorted(u for u in storage.list(uri) if not is_spark_side_file(u))


def _write_staged_json(batch: Batch, frame: DataFrame) -> str:
    """Write ``frame`` into staging as one JSON Lines file; its URI."""
    storage = batch.storage
    uri = join_uri(batch.staging, "rejects")
    frame.coalesce(1).write.mode("overwrite").json(storage.spark_output(uri))
    storage.after_spark_write(uri)
    [written] = [u for u in storage.list(uri) if not is_spark_side_file(u)]
    return written


def _commit(
    batch: Batch,
    catalog: GlueCatalog,
    *,
    rows: DataFrame,
    parts: Sequence[str],
    rejects: str | None,
    result: BatchResult,
) -> None:
    """Files into the run's folder, rejects into place, then the partition's pointer; then
    the manifest's earlier runs are deleted."""
    storage = batch.storage
    for index, part in enumerate(parts):
        storage.move(part, join_uri(batch.run_folder, f"part-{index:05d}.snappy.parquet"))
    if rejects:
        storage.move(rejects, batch.rejects_uri)
        result.rejects = batch.rejects_uri
    else:
        storage.delete(batch.rejects_uri)
    if parts:
        columns = catalog_columns(rows)
        catalog.register(TABLE, f"{batch.output_root}/", columns, PARTITION_KEYS, [])
        _point_partition(batch, catalog.columns(TABLE) or columns)
        result.output = f"{batch.run_folder}/"
    for uri in storage.list(batch.manifest_folder):
        if not uri.startswith(f"{batch.run_folder}/"):
            storage.delete(uri)
    result.parquet_files = len(parts)


def _point_partition(batch: Batch, columns: Sequence[CatalogColumn]) -> None:
    """Create the manifest's partition, or point it at this run's folder."""
    partition = {
        "Values": [batch.manifest.date_prefix, batch.manifest.manifest_id],
        "StorageDescriptor": {
            "Columns": [c.as_glue() for c in columns],
            "Location": f"{batch.run_folder}/",
            **PARQUET_STORAGE,
        },
    }
    try:
        batch.glue.create_partition(
            DatabaseName=batch.database, TableName=TABLE, PartitionInput=partition
        )
    except batch.glue.exceptions.AlreadyExistsException:
        batch.glue.update_partition(
            DatabaseName=batch.database,
            TableName=TABLE,
            PartitionValueList=partition["Values"],
            PartitionInput=partition,
        )


def _move(
    batch: Batch,
    file: ManifestFile,
    to: FileStatus,
    *,
    reason: str = "",
    set_fields: dict[str, Any] | None = None,
) -> bool:
    return batch.tracking.move(
        {PARTITION_KEY: file.date_prefix, SORT_KEY: file.file_name},
        to,
        clock.now(),
        manifest_id=batch.manifest.manifest_id,
        reason=reason,
        set_fields=set_fields,
    )
