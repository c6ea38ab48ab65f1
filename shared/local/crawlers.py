"""Glue crawlers, on this machine: a crawl started through the API (``StartCrawler``) reads
the Parquet under each of the crawler's S3 targets and registers what a crawler would in the
local catalog: one table per target (named after the target's last folder, after the
crawler's ``TablePrefix``), its columns from the files' schema, its ``key=value`` folders as
string partition keys, every partition. The crawl then ends ``SUCCEEDED``, or ``FAILED``
when a file is not Parquet, the folders do not agree on their partition keys or the crawl
itself breaks (every crawl ends, as in Glue). A file deleted between the listing and its
read (a job replacing a partition while the crawler runs) is skipped, as a crawler does.

moto stores crawlers and their crawls but never crawls; Glue's classifiers for other formats
(CSV, JSON) are not emulated: their tables are created by the jobs that write them.
"""

from __future__ import annotations

import fnmatch
import io
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from moto.glue import models as glue_models
from moto.moto_api import state_manager

from shared.local.aws import Patches

PARQUET_MAGIC = b"PAR1"
SKIPPED_NAMES = ("_SUCCESS", "_committed", "_started")
"""Marker files Spark and Glue leave, which a crawler skips."""
PARQUET_FORMAT = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    },
}
SUCCEEDED, FAILED, RUNNING, STOPPING, READY = (
    "SUCCEEDED",
    "FAILED",
    "RUNNING",
    "STOPPING",
    "READY",
)
CRAWL_MODEL = "glue::crawl"
NEVER = 10**12

Progress = Callable[[str], None]


class CrawlError(ValueError):
    """What a crawl could not read, in one line."""


class LocalCrawlers:
    """Crawls started in the local AWS, run in the background."""

    def __init__(self, session: Any, progress: Progress = lambda line: None) -> None:
        self.session, self.progress = session, progress
        self._patches = Patches()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="crawler")
        self._running: list[Future[None]] = []
        self._lock = threading.Lock()
        self.errors: dict[str, str] = {}
        """The last failed crawl's reason, by crawler."""

    def start(self) -> LocalCrawlers:
        crawlers = self
        original = glue_models.FakeCrawler.start_crawler

        def start_crawler(crawler: Any) -> None:
            original(crawler)
            with crawlers._lock:
                crawlers._running.append(crawlers._pool.submit(crawlers._crawl, crawler))

        self._patches.replace(glue_models.FakeCrawler, "start_crawler", start_crawler)
        # a crawl ends when the stand-in says, with AWS's words (moto's is COMPLETED)
        self._patches.replace(glue_models.FakeCrawler, "status", property(_crawler_state))
        state_manager.set_transition(CRAWL_MODEL, {"progression": "manual", "times": NEVER})
        return self

    def stop(self) -> None:
        state_manager.unset_transition(CRAWL_MODEL)
        self._patches.restore()
        self._pool.shutdown(wait=True)

    def idle(self) -> bool:
        with self._lock:
            self._running = [f for f in self._running if not f.done()]
            return not self._running

    def _crawl(self, crawler: Any) -> None:
        crawl = crawler.crawls[-1]
        self.progress(f"crawler {crawler.name} crawls")
        try:
            tables = [self._crawl_target(crawler, target) for target in _s3_targets(crawler)]
        except Exception as error:  # a crawl that breaks ends FAILED, as in Glue
            self.errors[crawler.name] = str(error)
            crawl.status = FAILED
            self.progress(f"crawler {crawler.name} FAILED: {error}")
            return
        crawl.status = SUCCEEDED
        self.progress(f"crawler {crawler.name} SUCCEEDED: {', '.join(tables) or 'no tables'}")

    def _crawl_target(self, crawler: Any, target: dict[str, Any]) -> str:
        path = target["Path"]
        bucket, _, prefix = path.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        s3 = self.session.client("s3")
        files: list[tuple[str, list[tuple[str, str]]]] = []
        for key in _listed(s3, bucket, prefix):
            relative = key[len(prefix) :]
            if _skipped(relative, target.get("Exclusions", [])):
                continue
            if not _still_there_as_parquet(s3, bucket, key):
                continue
            folders = relative.split("/")[:-1]
            files.append((key, _partition_values(path, folders)))
        name = (crawler.table_prefix or "") + (prefix.rstrip("/").rsplit("/", 1)[-1] or bucket)
        name = name.replace("-", "_").lower()
        if not files:
            return f"{name} (empty)"
        keys = {tuple(k for k, _ in values) for _, values in files}
        if len(keys) > 1:
            raise CrawlError(f"{path}: the folders disagree on their partition keys: {keys}")
        [partition_keys] = keys
        schema = next(filter(None, (_schema(s3, bucket, key) for key, _ in reversed(files))), None)
        if schema is None:
            return f"{name} (empty)"
        self._register(
            crawler.database_name,
            name=name,
            location=path,
            schema=schema,
            partition_keys=partition_keys,
            files=files,
        )
        return f"{crawler.database_name}.{name} ({len({tuple(v) for _, v in files})} partitions)"

    def _register(
        self,
        database: str,
        *,
        name: str,
        location: str,
        schema: pa.Schema,
        partition_keys: tuple[str, ...],
        files: list[tuple[str, list[tuple[str, str]]]],
    ) -> None:
        glue = self.session.client("glue")
        columns = [{"Name": f.name, "Type": glue_type(f.type)} for f in schema]
        table = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in partition_keys],
            "StorageDescriptor": {"Columns": columns, "Location": location, **PARQUET_FORMAT},
        }
        try:
            glue.update_table(DatabaseName=database, TableInput=table)
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=database, TableInput=table)
        if not partition_keys:
            return
        existing = {
            tuple(p["Values"])
            for page in glue.get_paginator("get_partitions").paginate(
                DatabaseName=database, TableName=name
            )
            for p in page["Partitions"]
        }
        for values in sorted({tuple(v for _, v in parts) for _, parts in files} - existing):
            folder = "/".join(f"{k}={v}" for k, v in zip(partition_keys, values, strict=True))
            glue.create_partition(
                DatabaseName=database,
                TableName=name,
                PartitionInput={
                    "Values": list(values),
                    "StorageDescriptor": {
                        "Columns": columns,
                        "Location": f"{location.rstrip('/')}/{folder}/",
                        **PARQUET_FORMAT,
                    },
                },
            )


def _crawler_state(crawler: Any) -> str:
    """``RUNNING`` while the last crawl runs, else ``READY`` (``CrawlerState``)."""
    if crawler.crawls and crawler.crawls[-1].status in (RUNNING, STOPPING):
        return str(crawler.crawls[-1].status)
    return READY


def glue_type(arrow: pa.DataType) -> str:
    """The catalog's (Hive's) name of an Arrow type, as a crawler writes it."""
    if pa.types.is_decimal(arrow):
        return f"decimal({arrow.precision},{arrow.scale})"
    if pa.types.is_timestamp(arrow):
        return "timestamp"
    if pa.types.is_list(arrow):
        return f"array<{glue_type(arrow.value_type)}>"
    if pa.types.is_struct(arrow):
        fields = ",".join(f"{f.name}:{glue_type(f.type)}" for f in arrow)
        return f"struct<{fields}>"
    simple = {
        pa.int8(): "tinyint",
        pa.int16(): "smallint",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.float32(): "float",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.string(): "string",
        pa.large_string(): "string",
        pa.date32(): "date",
        pa.binary(): "binary",
    }
    return simple.get(arrow, "string")


def _s3_targets(crawler: Any) -> list[dict[str, Any]]:
    return list(crawler.targets.get("S3Targets", []))


def _skipped(relative: str, exclusions: list[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return (
        not relative
        or relative.endswith("/")
        or name in SKIPPED_NAMES
        or name.startswith((".", "_"))
        or any(part.startswith("_") for part in relative.split("/")[:-1])
        or any(fnmatch.fnmatch(relative, pattern) for pattern in exclusions)
    )


def _partition_values(path: str, folders: list[str]) -> list[tuple[str, str]]:
    values = []
    for folder in folders:
        key, equals, value = folder.partition("=")
        if not equals:
            raise CrawlError(f"{path}{'/'.join(folders)}/: folder {folder!r} is not key=value")
        values.append((key, value))
    return values


def _listed(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    """The keys under ``prefix``, as S3 lists them."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from (listed["Key"] for listed in page.get("Contents", []))


def _still_there_as_parquet(s3: Any, bucket: str, key: str) -> bool:
    """Whether the file at ``key`` is still there; one that is there and is not Parquet fails
    the crawl."""
    try:
        tail = s3.get_object(Bucket=bucket, Key=key, Range="bytes=-4")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return False
    if tail != PARQUET_MAGIC:
        raise CrawlError(f"s3://{bucket}/{key}: not Parquet (no PAR1 footer)")
    return True


def _schema(s3: Any, bucket: str, key: str) -> pa.Schema | None:
    """The schema of the Parquet file at ``key``; ``None`` when it is gone since the listing."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    try:
        return pq.read_schema(io.BytesIO(body))
    except (pa.ArrowInvalid, OSError) as error:
        raise CrawlError(f"s3://{bucket}/{key}: not Parquet ({error})") from None
