"""The ndjson-batching batch job on local Spark, its S3, table and catalog in moto: parallel
read, rejects with file and line, the schema rule, sizing from measured bytes, one commit
per manifest, and a re-run that replaces."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from applications_repo.ndjson_batching.batching import BatchRules, ship
from applications_repo.ndjson_batching.job.batch import TABLE, Batch, process_batch
from applications_repo.ndjson_batching.manifest import Manifest
from applications_repo.ndjson_batching.tracking import FileStatus, TrackedFile, TrackingTable
from shared.glue.storage import StagedS3Storage
from tests.unit.ndjson_batching.conftest import NAMES, NAMING, create_tracking_table, ndjson

RULES = BatchRules(max_files=200, max_bytes=10**9, max_age_seconds=0, lease_seconds=600)


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMING.region)
    with mock_aws():
        s3 = boto3.client("s3", region_name=NAMING.region)
        for bucket in (NAMES.input_bucket, NAMES.manifest_bucket, NAMES.output_bucket):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        create_tracking_table(boto3.client("dynamodb"), NAMES.tracking_table)
        glue = boto3.client("glue", region_name=NAMING.region)
        glue.create_database(DatabaseInput={"Name": NAMING.database})
        table = boto3.resource("dynamodb", region_name=NAMING.region).Table(NAMES.tracking_table)
        yield s3, glue, TrackingTable(table)


def manifest_of(aws, files: dict[str, bytes]) -> Manifest:
    """Upload and track ``files``, and ship them as one manifest (the builder's way)."""
    s3, _, tracking = aws
    now = datetime.now(UTC).timestamp()
    for key, body in files.items():
        put = s3.put_object(Bucket=NAMES.input_bucket, Key=key, Body=body)
        file = TrackedFile(
            NAMES.input_bucket,
            key,
            put["VersionId"],
            put["ETag"].strip('"'),
            len(body),
            datetime.now(UTC),
        )
        tracking.add(file, now, FileStatus.PENDING)
    items = list(tracking.in_status(FileStatus.PENDING))
    manifest = ship(tracking, s3, NAMES.manifest_bucket, items, RULES, clock=lambda: now)
    assert manifest is not None
    return manifest


def run_batch(
    spark, aws, manifest: Manifest, tmp_path: Path, run_id: str, *, target_bytes=128 << 20
):
    s3, glue, tracking = aws
    batch = Batch(
        manifest=manifest,
        run_id=run_id,
        output_bucket=NAMES.output_bucket,
        target_bytes=target_bytes,
        s3=s3,
        glue=glue,
        database=NAMING.database,
        tracking=tracking,
        storage=StagedS3Storage(s3, tmp_path / run_id),
    )
    return process_batch(spark, batch), batch


def parquet_rows(s3, prefix: str) -> list[dict]:
    listed = s3.list_objects_v2(Bucket=NAMES.output_bucket, Prefix=prefix).get("Contents", [])
    rows: list[dict] = []
    for item in sorted(listed, key=lambda o: o["Key"]):
        body = s3.get_object(Bucket=NAMES.output_bucket, Key=item["Key"])["Body"].read()
        rows += pq.read_table(io.BytesIO(body)).to_pylist()
    return rows


def statuses(tracking: TrackingTable) -> dict[str, str]:
    return {
        item["key"]: item["status"] for status in FileStatus for item in tracking.in_status(status)
    }


def test_a_manifest_becomes_one_parquet_dataset_and_its_rejects(spark, aws, tmp_path):
    s3, glue, tracking = aws
    bad = ndjson(3, start=100).decode().splitlines()
    bad.insert(1, '{"id": 7, "name": "cut')
    bad.insert(3, "[1, 2]")
    manifest = manifest_of(
        aws,
        {
            "in/a.ndjson": ndjson(50),
            "in/b.ndjson": ndjson(50, start=50),
            "in/bad.ndjson": ("\n".join(bad) + "\n").encode(),
        },
    )
    result, batch = run_batch(spark, aws, manifest, tmp_path, "jr_first")
    assert (result.lines, result.rows, result.rejected_lines) == (105, 103, 2)
    assert result.files_completed == 3 and result.files_failed == 0
    rows = parquet_rows(s3, batch.run_folder.removeprefix(f"s3://{NAMES.output_bucket}/"))
    assert sorted(r["id"] for r in rows) == [*range(100), 100, 101, 102]
    rejects = [
        json.loads(line)
        for line in s3.get_object(
            Bucket=NAMES.output_bucket, Key=batch.rejects_uri.split("/", 3)[3]
        )["Body"]
        .read()
        .splitlines()
    ]
    assert [(r["source"], r["line"], r["reason"]) for r in rejects] == [
        (f"s3://{NAMES.input_bucket}/in/bad.ndjson", 2, "not valid JSON"),
        (f"s3://{NAMES.input_bucket}/in/bad.ndjson", 4, "not a JSON object"),
    ]
    assert rejects[0]["version_id"] == next(
        f.version_id for f in manifest.files if f.key == "in/bad.ndjson"
    )
    assert set(statuses(tracking).values()) == {"completed"}
    counts = {
        i["key"]: (i["records"], i["rejected_lines"])
        for i in tracking.in_status(FileStatus.COMPLETED)
    }
    assert counts == {"in/a.ndjson": (50, 0), "in/b.ndjson": (50, 0), "in/bad.ndjson": (3, 2)}
    partition = glue.get_partition(
        DatabaseName=NAMING.database,
        TableName=TABLE,
        PartitionValues=[manifest.date_prefix, manifest.manifest_id],
    )["Partition"]
    assert partition["StorageDescriptor"]["Location"] == f"{batch.run_folder}/"


def test_the_schema_rule_within_a_batch_and_across_batches(spark, aws, tmp_path):
    s3, glue, _ = aws
    first = manifest_of(
        aws,
        {
            "in/1.ndjson": b'{"id": 1, "price": 2, "device": {"os": "ios"}}\n',
            "in/2.ndjson": b'{"id": 2, "price": 2.5, "campaign": "winter"}\n',
        },
    )
    run_batch(spark, aws, first, tmp_path, "jr_one")
    columns = {
        c["Name"]: c["Type"]
        for c in glue.get_table(DatabaseName=NAMING.database, Name=TABLE)["Table"][
            "StorageDescriptor"
        ]["Columns"]
    }
    # keys that come and go are columns; integers widen to double; nested objects are structs
    assert columns == {
        "campaign": "string",
        "device": "struct<os:string>",
        "id": "bigint",
        "price": "double",
    }
    second = manifest_of(
        aws,
        {"in/3.ndjson": b'{"id": "x3", "price": 4, "coupon": true}\n{"id": 4, "price": "cheap"}\n'},
    )
    result, batch = run_batch(spark, aws, second, tmp_path, "jr_two")
    # the table's types win: 4 -> 4.0; "x3" and "cheap" cannot be cast and are rejected
    assert (result.rows, result.rejected_lines) == (0, 2)
    rejects = s3.get_object(Bucket=NAMES.output_bucket, Key=batch.rejects_uri.split("/", 3)[3])
    reasons = [json.loads(line)["reason"] for line in rejects["Body"].read().splitlines()]
    assert reasons == [
        'field id: value "x3" is not bigint (the table\'s type)',
        'field price: value "cheap" is not double (the table\'s type)',
    ]
    third = manifest_of(aws, {"in/4.ndjson": b'{"id": 5, "price": 4, "coupon": true}\n'})
    run_batch(spark, aws, third, tmp_path, "jr_three")
    table = glue.get_table(DatabaseName=NAMING.database, Name=TABLE)["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == [
        "campaign",
        "device",
        "id",
        "price",
        "coupon",
    ]


def test_files_are_sized_from_measured_bytes(spark, aws, tmp_path):
    s3, _, _ = aws
    files = {f"in/{i}.ndjson": ndjson(2000, start=2000 * i, padding="p" * 40) for i in range(4)}
    manifest = manifest_of(aws, files)
    target = 64 * 1024
    result, batch = run_batch(spark, aws, manifest, tmp_path, "jr_sized", target_bytes=target)
    prefix = batch.run_folder.removeprefix(f"s3://{NAMES.output_bucket}/")
    sizes = [
        o["Size"] for o in s3.list_objects_v2(Bucket=NAMES.output_bucket, Prefix=prefix)["Contents"]
    ]
    assert result.parquet_files == len(sizes) > 1
    total = sum(sizes)
    assert len(sizes) == pytest.approx(total / target, abs=2)
    assert len(parquet_rows(s3, prefix)) == 8000


def test_a_rerun_of_a_manifest_replaces_its_output(spark, aws, tmp_path):
    s3, glue, tracking = aws
    manifest = manifest_of(aws, {"in/a.ndjson": ndjson(20), "in/b.ndjson": ndjson(20, start=20)})
    _, first = run_batch(spark, aws, manifest, tmp_path, "jr_first")
    _, second = run_batch(spark, aws, manifest, tmp_path, "jr_second")
    folder = first.manifest_folder.removeprefix(f"s3://{NAMES.output_bucket}/")
    rows = parquet_rows(s3, folder)
    assert sorted(r["id"] for r in rows) == list(range(40))
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=NAMES.output_bucket, Prefix=folder)["Contents"]
    ]
    assert all("/run=jr_second/" in key for key in keys)
    partition = glue.get_partition(
        DatabaseName=NAMING.database,
        TableName=TABLE,
        PartitionValues=[manifest.date_prefix, manifest.manifest_id],
    )["Partition"]
    assert partition["StorageDescriptor"]["Location"] == f"{second.run_folder}/"
    history = [h["status"] for h in next(tracking.in_status(FileStatus.COMPLETED))["history"]]
    assert history == [
        "pending",
        "manifested",
        "processing",
        "completed",
        "processing",
        "completed",
    ]
    assert not s3.list_objects_v2(Bucket=NAMES.output_bucket, Prefix="_staging/").get("Contents")


def test_a_file_whose_object_changed_fails_and_the_others_complete(spark, aws, tmp_path):
    s3, _, tracking = aws
    manifest = manifest_of(aws, {"in/a.ndjson": ndjson(5), "in/b.ndjson": ndjson(5, start=5)})
    changed = next(f for f in manifest.files if f.key == "in/b.ndjson")
    s3.delete_object(Bucket=NAMES.input_bucket, Key=changed.key, VersionId=changed.version_id)
    result, _ = run_batch(spark, aws, manifest, tmp_path, "jr_gone")
    assert (result.files_completed, result.files_failed, result.rows) == (1, 1, 5)
    assert statuses(tracking) == {"in/a.ndjson": "completed", "in/b.ndjson": "failed"}
    failed = next(tracking.in_status(FileStatus.FAILED))
    assert failed["reason"] == f"object version {changed.version_id} is gone"


def test_files_another_manifest_owns_are_left_alone(spark, aws, tmp_path):
    _, _, tracking = aws
    manifest = manifest_of(aws, {"in/a.ndjson": ndjson(5)})
    [file] = manifest.files
    tracking.move(
        {"date_prefix": file.date_prefix, "file_name": file.file_name},
        FileStatus.PENDING,
        0,
        manifest_id=manifest.manifest_id,
    )
    result, _ = run_batch(spark, aws, manifest, tmp_path, "jr_not_ours")
    assert (result.files_skipped, result.rows) == (1, 0)
    assert statuses(tracking) == {"in/a.ndjson": "pending"}


def test_keys_differing_only_by_case_are_one_column(spark, aws, tmp_path):
    """Spark's case-insensitive inference would keep one spelling and drop the other's
    values (or fail the batch): both files' values are kept, in one column."""
    s3, glue, _ = aws
    manifest = manifest_of(
        aws,
        {
            "in/1.ndjson": b'{"Name": "a", "id": 1}\n',
            "in/2.ndjson": b'{"name": "b", "id": 2}\n{"NAME": 3, "id": 3}\n',
        },
    )
    result, batch = run_batch(spark, aws, manifest, tmp_path, "jr_case")
    assert (result.rows, result.rejected_lines) == (3, 0)
    rows = parquet_rows(s3, batch.run_folder.removeprefix(f"s3://{NAMES.output_bucket}/"))
    spelled = {
        c["Name"]
        for c in glue.get_table(DatabaseName=NAMING.database, Name=TABLE)["Table"][
            "StorageDescriptor"
        ]["Columns"]
    }
    [name] = spelled - {"id"}
    assert sorted((r["id"], r[name]) for r in rows) == [(1, "a"), (2, "b"), (3, "3")]


def test_a_byte_order_mark_and_windows_line_ends_are_not_text(spark, aws, tmp_path):
    s3, _, _ = aws
    manifest = manifest_of(aws, {"in/bom.ndjson": b'\xef\xbb\xbf{"id": 1}\r\n{"id": 2}\r\n'})
    result, batch = run_batch(spark, aws, manifest, tmp_path, "jr_bom")
    assert (result.rows, result.rejected_lines) == (2, 0)
    rows = parquet_rows(s3, batch.run_folder.removeprefix(f"s3://{NAMES.output_bucket}/"))
    assert sorted(r["id"] for r in rows) == [1, 2]
