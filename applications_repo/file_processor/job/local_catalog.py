"""The table of a dataset ``gdp process`` wrote to a local folder: read from the schema of
the Parquet files already there, so that the local command keeps one schema per dataset by
the same rule (``schema_policy``) as the deployed job with the Glue catalog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from applications_repo.file_processor.job.column_plan import METADATA_TYPES
from applications_repo.file_processor.job.layout import DATA_FILE_SUFFIX
from shared.glue.catalog import CatalogColumn, Partition


def hive_type(arrow_type: pa.DataType) -> str:
    """The catalog's name of a written column's type."""
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return {
        pa.int64(): "bigint",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.date32(): "date",
        pa.string(): "string",
        pa.large_string(): "string",
    }.get(arrow_type, "string")


class ParquetFolderCatalog:
    """Datasets under ``root``: ``root/<dataset>/ingest_date=.../*.snappy.parquet``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def columns(self, table: str) -> list[CatalogColumn] | None:
        written = sorted((self.root / table).glob(f"*/*{DATA_FILE_SUFFIX}"))
        if not written:
            return None
        schema = pq.read_schema(written[0])
        return [
            CatalogColumn(field.name, hive_type(field.type))
            for field in schema
            if field.name not in METADATA_TYPES
        ]

    def register(
        self,
        table: str,
        location: str,
        columns: Sequence[CatalogColumn],
        partition_keys: Sequence[CatalogColumn],
        partitions: Sequence[Partition],
    ) -> None:
        """Nothing to record: the files written are the table."""
