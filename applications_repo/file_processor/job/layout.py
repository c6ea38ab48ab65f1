"""Where a source file's outputs go: a deterministic place per (bucket, key, version).

    {root}/{dataset}/ingest_date={YYYY-MM-DD}/{source_id}-part-{n}.snappy.parquet   the table
    {root}/rejects/{dataset}/ingest_date={YYYY-MM-DD}/{source_id}.jsonl             bad rows
    {root}/_manifests/{dataset}/{source_id}.json                                    run summary
    {root}/_staging/{run_id}/                                                       in progress

``dataset`` is the first folder of the key (the file name for keys without one);
``ingest_date`` is the day the object was written (UTC) and ``source_id`` a hash of its
bucket, key and version, so processing the same object again replaces its output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from applications_repo.file_processor.job.column_names import PARTITION_COLUMN, snake_case
from shared.glue.storage import join_uri

REJECTS_PREFIX = "rejects/"
REJECTS_SUFFIX = ".jsonl"
MANIFESTS_PREFIX = "_manifests/"
STAGING_PREFIX = "_staging/"
DATA_FILE_SUFFIX = ".snappy.parquet"
SOURCE_ID_LENGTH = 16


def dataset_name(key: str) -> str:
    """The table a key's rows belong to: its first folder, or its file name without suffix."""
    path = PurePosixPath(key.lstrip("/"))
    name = snake_case(path.parts[0] if len(path.parts) > 1 else path.stem)
    return name if name[:1].isalpha() else f"dataset_{name or 'unnamed'}"


def source_id(source_uri: str, version: str | None) -> str:
    """A short, stable id of one version of one source object."""
    digest = hashlib.sha256(f"{source_uri}#{version or ''}".encode()).hexdigest()
    return digest[:SOURCE_ID_LENGTH]


@dataclass(frozen=True)
class OutputLayout:
    """Every output location of one source object version."""

    root: str
    dataset: str
    source_id: str
    ingest_date: date
    run_id: str

    @property
    def partition(self) -> str:
        return f"{PARTITION_COLUMN}={self.ingest_date.isoformat()}"

    @property
    def table_location(self) -> str:
        return join_uri(self.root, self.dataset) + "/"

    @property
    def data_prefix(self) -> str:
        """Where this source's Parquet files live (their names start with the source id)."""
        return join_uri(self.root, self.dataset, self.partition)

    def data_file(self, index: int) -> str:
        return join_uri(self.data_prefix, f"{self.source_id}-part-{index:05d}{DATA_FILE_SUFFIX}")

    @property
    def source_data_prefix(self) -> str:
        """The key prefix of this source's Parquet files alone (listing it does not grow with
        the other files of the partition)."""
        return join_uri(self.data_prefix, f"{self.source_id}-part-")

    @property
    def rejects_file(self) -> str:
        return join_uri(
            self.root,
            REJECTS_PREFIX,
            self.dataset,
            self.partition,
            f"{self.source_id}{REJECTS_SUFFIX}",
        )

    @property
    def manifest_file(self) -> str:
        return join_uri(self.root, MANIFESTS_PREFIX, self.dataset, f"{self.source_id}.json")

    @property
    def staging(self) -> str:
        return join_uri(self.root, STAGING_PREFIX, self.run_id)
