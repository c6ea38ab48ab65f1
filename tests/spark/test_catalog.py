"""Tables in the Glue catalog (moto): created on the first file, extended by later ones, one
partition per ingest date; the header names as column comments."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from applications_repo.file_processor.job.summary import RunStatus
from shared.glue.catalog import GlueCatalog

DATABASE = "glue_database_v2_test"


@pytest.fixture
def catalog():
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": DATABASE})
        yield GlueCatalog(glue, DATABASE)


def test_the_first_file_creates_the_table_and_its_partition(run_file, catalog):
    summary = run_file("Order ID,Total (EUR)\n1,9.99\n", name="orders.csv", catalog=catalog)
    assert summary.status is RunStatus.SUCCEEDED, summary.error
    table = catalog.glue.get_table(DatabaseName=DATABASE, Name="orders")["Table"]
    columns = {
        c["Name"]: (c["Type"], c.get("Comment")) for c in table["StorageDescriptor"]["Columns"]
    }
    assert columns == {
        "order_id": ("bigint", "Order ID"),
        "total_eur": ("decimal(38,2)", "Total (EUR)"),
        "processed_at": ("timestamp", None),
        "source_file": ("string", None),
        "processing_job": ("string", None),
    }
    assert table["PartitionKeys"] == [{"Name": "ingest_date", "Type": "string"}]
    assert table["StorageDescriptor"]["Location"].endswith("/out/orders/")
    [partition] = catalog.glue.get_partitions(DatabaseName=DATABASE, TableName="orders")[
        "Partitions"
    ]
    assert partition["StorageDescriptor"]["Location"] == summary.output + "/"


def test_later_files_add_columns_and_keep_the_tables_types(run_file, catalog):
    run_file("id,score\n1,10\n", name="scores.csv", catalog=catalog)
    # WHEN a second file of the dataset has decimals in score and a new column
    second = run_file("id,score,comment\n2,2.5,ok\n", name="scores.csv", catalog=catalog)
    # THEN the table gains the column, and score stays an integer: 2.5 is rejected
    columns = catalog.columns("scores")
    assert [c.name for c in columns][:2] == ["id", "score"] and "comment" in [
        c.name for c in columns
    ]
    assert {c.name: c.type for c in columns}["score"] == "bigint"
    assert (second.rows_written, second.rows_rejected) == (0, 1)
