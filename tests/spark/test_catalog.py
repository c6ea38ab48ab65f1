"""Tables in the Glue catalog (moto): created on the first file, extended by later ones, one
partition per ingest date; the header names as column comments."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from moto import mock_aws

from applications_repo.file_processor.job.summary import RunStatus
from shared.glue.catalog import GlueCatalog
from tests.spark.conftest import read_rows

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


def test_a_later_file_that_fits_the_table_adds_its_columns(run_file, catalog):
    run_file("id,score\n1,2.5\n", name="scores.csv", catalog=catalog)
    # WHEN a second file of the dataset has integers in score and a new column
    second = run_file("id,score,comment\n2,3,ok\n", name="scores.csv", catalog=catalog)
    # THEN its integers are written as the table's decimals, and the table gains the column
    assert second.status is RunStatus.SUCCEEDED
    assert (second.rows_written, second.rows_rejected) == (1, 0)
    types = {c.name: c.type for c in catalog.columns("scores")}
    assert (types["score"], types["comment"]) == ("decimal(38,1)", "string")
    assert [r["score"] for r in read_rows(second)] == [Decimal("3.0")]


def test_a_later_file_that_does_not_fit_the_table_is_rejected_whole(run_file, catalog):
    run_file("id,score\n1,10\n", name="scores.csv", catalog=catalog)
    # WHEN a second file of the dataset has text where the table has integers, and a column more
    second = run_file("id,score,comment\n2,high,ok\n3,2.5,no\n", name="scores.csv", catalog=catalog)
    # THEN it is rejected as a whole, with one reason; the table is as it was
    assert second.status is RunStatus.REJECTED
    assert second.dataset == "scores"
    assert second.error == (
        "does not fit dataset scores: score is bigint in the table, the file's is text; "
        "nothing written (send it to a new dataset folder, or move the dataset's files aside "
        "first)"
    )
    assert "comment" not in {c.name for c in catalog.columns("scores")}
