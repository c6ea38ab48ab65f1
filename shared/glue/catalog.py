"""Glue Data Catalog tables of Parquet datasets: created on first write, new columns added
later, one partition per written partition directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

PARQUET_STORAGE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    },
}
TABLE_PARAMETERS = {"classification": "parquet", "EXTERNAL": "TRUE"}
MAX_COMMENT_LENGTH = 255
PARTITION_BATCH = 100
REGISTER_ATTEMPTS = 10

CATALOG_ACTIONS = (
    "glue:GetTable",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:BatchCreatePartition",
)


def catalog_calls(database: str) -> tuple[tuple[str, str], ...]:
    """The AWS calls ``GlueCatalog`` makes on ``database`` (an ARN-template name, see
    ``shared.deployability.runtime_calls``): each on the catalog, the database and its tables."""
    glue = "arn:{partition}:glue:{region}:{account}"
    resources = (f"{glue}:catalog", f"{glue}:database/{database}", f"{glue}:table/{database}/*")
    return tuple((action, resource) for action in CATALOG_ACTIONS for resource in resources)


@dataclass(frozen=True)
class CatalogColumn:
    """One column of a catalog table (Hive type name, e.g. ``bigint``, ``decimal(38,2)``)."""

    name: str
    type: str
    comment: str = ""

    def as_glue(self) -> dict[str, str]:
        column = {"Name": self.name, "Type": self.type}
        if self.comment:
            column["Comment"] = self.comment[:MAX_COMMENT_LENGTH]
        return column


@dataclass(frozen=True)
class Partition:
    """One partition: its values (in partition-key order) and its folder under the table."""

    values: tuple[str, ...]
    path: str


class Catalog(Protocol):
    """Where a dataset's table is kept: the Glue catalog, or a local folder's Parquet."""

    def columns(self, table: str) -> list[CatalogColumn] | None: ...

    def register(
        self,
        table: str,
        location: str,
        columns: Sequence[CatalogColumn],
        partition_keys: Sequence[CatalogColumn],
        partitions: Sequence[Partition],
    ) -> None: ...


class GlueCatalog:
    """Tables of one Glue database, through a boto3 Glue client."""

    def __init__(self, glue_client, database: str) -> None:
        self.glue = glue_client
        self.database = database

    def columns(self, table: str) -> list[CatalogColumn] | None:
        """The table's data columns, or ``None`` when it does not exist yet."""
        try:
            found = self.glue.get_table(DatabaseName=self.database, Name=table)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            return None
        return [
            CatalogColumn(c["Name"], c["Type"], c.get("Comment", ""))
            for c in found["StorageDescriptor"]["Columns"]
        ]

    def register(
        self,
        table: str,
        location: str,
        columns: Sequence[CatalogColumn],
        partition_keys: Sequence[CatalogColumn],
        partitions: Sequence[Partition],
    ) -> None:
        """Create the table or add its new columns, then add the partitions it lacks.

        Runs of one dataset may do this at the same time: a table another run created first,
        or columns another run's update replaced, are read again and merged, until the table
        holds this run's columns.

        Args:
            location: the table's S3 prefix, ending in ``/``.
            partitions: the partitions written, each with its folder under ``location``.
        """
        for _ in range(REGISTER_ATTEMPTS):
            existing = self.columns(table)
            merged = list(existing or [])
            known = {c.name for c in merged}
            merged += [c for c in columns if c.name not in known]
            if existing is not None and merged == existing:
                break
            table_input = {
                "Name": table,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": TABLE_PARAMETERS,
                "PartitionKeys": [k.as_glue() for k in partition_keys],
                "StorageDescriptor": {
                    "Columns": [c.as_glue() for c in merged],
                    "Location": location,
                    **PARQUET_STORAGE,
                },
            }
            try:
                if existing is None:
                    self.glue.create_table(DatabaseName=self.database, TableInput=table_input)
                else:
                    self.glue.update_table(DatabaseName=self.database, TableInput=table_input)
            except (
                self.glue.exceptions.AlreadyExistsException,
                self.glue.exceptions.ConcurrentModificationException,
            ):
                continue
        else:
            raise RuntimeError(
                f"table {self.database}.{table}: columns not registered after "
                f"{REGISTER_ATTEMPTS} attempts of concurrent runs"
            )
        self._add_partitions(table, location, self.columns(table) or merged, partitions)

    def _add_partitions(
        self,
        table: str,
        location: str,
        columns: Sequence[CatalogColumn],
        partitions: Sequence[Partition],
    ) -> None:
        """Add partitions; those that exist already are left as they are."""
        inputs = [
            {
                "Values": list(partition.values),
                "StorageDescriptor": {
                    "Columns": [c.as_glue() for c in columns],
                    "Location": f"{location.rstrip('/')}/{partition.path.strip('/')}/",
                    **PARQUET_STORAGE,
                },
            }
            for partition in partitions
        ]
        for start in range(0, len(inputs), PARTITION_BATCH):
            self.glue.batch_create_partition(
                DatabaseName=self.database,
                TableName=table,
                PartitionInputList=inputs[start : start + PARTITION_BATCH],
            )
