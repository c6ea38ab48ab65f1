"""Writing a layer's files so that a reader never sees half of them: Spark writes under a
staging prefix, then the files replace the target's (the partition's old files go once the
new ones are in place; a run that dies in between is repaired by its retry, which replaces
the partition again)."""

from __future__ import annotations

import math

from pyspark.sql import DataFrame

from shared.glue.storage import Storage, is_spark_side_file, join_uri

PARQUET_SUFFIX = ".snappy.parquet"


def file_count(estimated_bytes: int, target_bytes: int) -> int:
    """How many files make about ``target_bytes`` each."""
    return max(1, math.ceil(estimated_bytes / target_bytes))


def replace_with(
    storage: Storage, staged: str, target: str, *, run_id: str, name: str | None = None
) -> list[str]:
    """Move the files Spark wrote under ``staged`` into ``target`` (one ``name`` when given,
    else ``part-{run_id}-NNNNN...``), then delete what ``target`` held before; the new
    files' URIs."""
    files = sorted(u for u in storage.list(staged) if not is_spark_side_file(u))
    before = set(storage.list(target.rstrip("/") + "/"))
    moved = []
    for n, uri in enumerate(files):
        suffix = PARQUET_SUFFIX if uri.endswith(".parquet") else ".json"
        base = name if name and len(files) == 1 else f"part-{run_id}-{n:05d}{suffix}"
        destination = join_uri(target, base)
        storage.move(uri, destination)
        moved.append(destination)
    for uri in sorted(before - set(moved)):
        storage.delete(uri)
    storage.delete_prefix(staged)
    return moved


def write_json_lines(
    storage: Storage, frame: DataFrame, staged: str, target: str, *, run_id: str, name: str
) -> list[str]:
    """``frame`` as one JSON Lines file ``target/name``."""
    frame.coalesce(1).write.mode("overwrite").json(storage.spark_output(staged))
    storage.after_spark_write(staged)
    return replace_with(storage, staged, target, run_id=run_id, name=name)


def write_parquet(
    storage: Storage, frame: DataFrame, staged: str, target: str, *, run_id: str, files: int
) -> list[str]:
    """``frame`` as ``files`` Snappy Parquet files under ``target``."""
    frame.repartition(files).write.mode("overwrite").option("compression", "snappy").parquet(
        storage.spark_output(staged)
    )
    storage.after_spark_write(staged)
    return replace_with(storage, staged, target, run_id=run_id)
