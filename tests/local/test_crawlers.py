"""The crawler stand-in: a crawl registers the Parquet it finds, skips a file a job deletes
while it runs, and always ends (a crawl that breaks ends FAILED with its reason)."""

from __future__ import annotations

import io
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shared.local import crawlers
from tests.local.templates import bucket, role, template

BUCKET, DATABASE, CRAWLER = "probe-gold", "probe_db", "probe-crawler"
FILES = ("curated/day=01/part-0.parquet", "curated/day=02/part-0.parquet")


def crawled() -> dict:
    return template(
        Role=role(),
        Gold=bucket(BUCKET),
        Database={
            "Type": "AWS::Glue::Database",
            "Properties": {"CatalogId": "222222222222", "DatabaseInput": {"Name": DATABASE}},
        },
        Crawler={
            "Type": "AWS::Glue::Crawler",
            "Properties": {
                "Name": CRAWLER,
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "DatabaseName": DATABASE,
                "Targets": {"S3Targets": [{"Path": f"s3://{BUCKET}/curated/"}]},
            },
        },
    )


def parquet() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "name": ["a", "b"]}), sink)
    return sink.getvalue()


def crawl(stage) -> dict:
    """Start the crawl, wait for its end (a minute at most) and return the crawler."""
    glue = stage.session.client("glue")
    glue.start_crawler(Name=CRAWLER)
    deadline = time.monotonic() + 60
    while (found := glue.get_crawler(Name=CRAWLER)["Crawler"])["State"] != "READY":
        assert time.monotonic() < deadline, f"the crawl never ended: {found}"
        time.sleep(0.1)
    return found


@pytest.fixture
def gold(stage_of):
    with stage_of(crawled()) as stage:
        for key in FILES:
            stage.session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=parquet())
        yield stage


def test_a_crawl_registers_the_table_and_its_partitions(gold):
    assert crawl(gold)["LastCrawl"]["Status"] == "SUCCEEDED"
    glue = gold.session.client("glue")
    table = glue.get_table(DatabaseName=DATABASE, Name="curated")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "name"]
    partitions = glue.get_partitions(DatabaseName=DATABASE, TableName="curated")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["01"], ["02"]]


def test_a_file_deleted_while_the_crawler_runs_is_skipped(gold, monkeypatch):
    listed = crawlers._listed

    def deleted_after_listing(s3, bucket_name, prefix):
        yield from listed(s3, bucket_name, prefix)
        yield "curated/day=03/part-0.parquet"

    monkeypatch.setattr(crawlers, "_listed", deleted_after_listing)
    assert crawl(gold)["LastCrawl"]["Status"] == "SUCCEEDED"
    partitions = gold.session.client("glue").get_partitions(
        DatabaseName=DATABASE, TableName="curated"
    )["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["01"], ["02"]]


def test_a_crawl_that_breaks_ends_failed_with_its_reason(gold, monkeypatch):
    def broken(*arguments):
        raise RuntimeError("the catalog went away")

    monkeypatch.setattr(crawlers, "_schema", broken)
    assert crawl(gold)["LastCrawl"]["Status"] == "FAILED"
    assert gold.crawlers.errors[CRAWLER] == "the catalog went away"
