"""parquet-to-json in the dev stage of the local AWS, made from its synthesized templates:
the samples end to end, a repeated event, a new version, the Glue job as deployed, and
``gdp run --json`` with each upload's metadata record."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from applications_repo.parquet_to_json.application import PARQUET_TO_JSON
from applications_repo.parquet_to_json.definition import SAMPLES, definition
from applications_repo.parquet_to_json.metadata import MetadataTable, NewFile, Status, plain
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.starting import StartConfig, job_arguments
from shared.config import REPOSITORY_ROOT
from shared.local.run import sample_files
from tests.post_deploy.test_parquet_to_json import (  # noqa: F401 (collected here as well)
    test_an_uploaded_parquet_file_is_converted_and_recorded,
    uploaded_parquet,
)

pytestmark = pytest.mark.integration
EXPECTED = {
    "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet": ("SUCCEEDED", 4996, 4),
    "raw-data/2024/02/15/yellow_tripdata_2023-12.parquet": ("SUCCEEDED", 3000, 0),
    "raw-data/2024/03/15/yellow_tripdata_2024-03.parquet": ("REJECTED", None, None),
    "raw-data/2024/03/16/trips-exported-as-csv.parquet": ("REJECTED", None, None),
    "raw-data/2024/04/15/green_tripdata_2024-04.parquet": ("REJECTED", None, None),
}


@pytest.fixture(scope="module")
def names(local_stage) -> ParquetToJsonNames:
    return ParquetToJsonNames(local_stage.naming)


@pytest.fixture(scope="module")
def table(local_stage, names) -> MetadataTable:
    return MetadataTable(local_stage.session.resource("dynamodb").Table(names.metadata_table))


@pytest.fixture(scope="module")
def samples(local_stage, names):
    [p2j] = [d for d in local_stage.applications if d.name == "parquet-to-json"]
    uploads = [
        local_stage.upload(path, key, names.source_bucket) for path, key in sample_files([p2j])
    ]
    local_stage.wait(uploads)
    return {u.key: local_stage.input_state(u) for u in uploads}


def test_every_sample_ends_in_its_status_with_its_counts(samples):
    assert {key: (s.state, s.rows_written, s.rows_rejected) for key, s in samples.items()} == (
        EXPECTED
    )
    assert not any(s.failed or s.in_flight for s in samples.values())


def test_each_rejection_names_its_reason_and_where_the_upload_is_kept(samples):
    notes = {key: s.note for key, s in samples.items() if s.state == "REJECTED"}
    assert (
        "does not end with Parquet's magic bytes"
        in notes["raw-data/2024/03/15/yellow_tripdata_2024-03.parquet"]
    )
    assert (
        "does not start with Parquet's magic bytes"
        in notes["raw-data/2024/03/16/trips-exported-as-csv.parquet"]
    )
    green = notes["raw-data/2024/04/15/green_tripdata_2024-04.parquet"]
    assert "missing required columns: tpep_pickup_datetime, tpep_dropoff_datetime" in green
    assert all("reason kept in s3://" in note for note in notes.values())


def test_the_json_and_the_rejected_rows_are_where_the_records_say(local_stage, samples, names):
    record = samples["raw-data/2024/01/15/yellow_tripdata_2024-01.parquet"].record
    s3 = local_stage.session.client("s3")

    def rows(uri: str) -> list[dict]:
        body = s3.get_object(Bucket=names.output_bucket, Key=uri.split("/", 3)[3])["Body"]
        return [json.loads(line) for line in body.read().decode().splitlines()]

    assert len(rows(record["output_file_path"])) == record["record_count"] == 4996
    rejected = rows(record["rejects_written"])
    assert len(rejected) == 4 and all(row["_rejected"] for row in rejected)
    assert record["quality_violations"]["passenger_count_out_of_range"] == 1


def test_a_repeated_event_starts_no_second_run(local_stage, samples, names, table):
    key = "raw-data/2024/02/15/yellow_tripdata_2023-12.parquet"
    version = samples[key].record["source_version"]
    delivery = local_stage.deliveries[(names.source_bucket, key, version)]
    local_stage.redeliver(delivery)
    local_stage.wait()
    assert delivery.outcome == "STARTED" and delivery.duplicates == 1
    record = plain(table.get(samples[key].record["file_id"]))
    assert [h["status"] for h in record["history"]] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert record["attempts"] == 1


def test_a_new_version_of_a_key_is_a_new_run_linked_to_the_previous_one(
    local_stage, samples, names, table
):
    key = "raw-data/2024/02/15/yellow_tripdata_2023-12.parquet"
    upload = local_stage.upload(SAMPLES / key, key, names.source_bucket)
    local_stage.wait([upload])
    state = local_stage.input_state(upload)
    assert state is not None and state.state == "SUCCEEDED"
    assert state.record["previous_file_id"] == samples[key].record["file_id"]
    assert state.run_id != samples[key].run_id


def test_the_glue_job_as_deployed_converts_a_file_with_spark(local_stage, names, table):
    """A run of the Glue job (the path of files above the single-node size), started as the
    orchestrator starts it, on the job's deployed script and default arguments."""
    key = f"raw-data/2024/01/20/spark-{uuid.uuid4().hex[:6]}.parquet"
    sample = SAMPLES / "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet"
    # under the quarantine prefix, whose uploads fire no orchestrator: this test starts the run
    put = local_stage.session.client("s3").put_object(
        Bucket=names.source_bucket, Key=f"quarantine/{key}", Body=sample.read_bytes()
    )
    source = f"s3://{names.source_bucket}/quarantine/{key}"
    new = NewFile(
        file_id=f"{key}@spark",
        source_file_path=source,
        source_version=put["VersionId"],
        output_file_path=f"s3://{names.output_bucket}/processed-data/2024/01/20/spark.json",
        rejects_file_path=f"s3://{names.output_bucket}/rejected-data/2024/01/20/spark.json",
        file_size_bytes=sample.stat().st_size,
    )
    assert table.create(new, Status.PENDING, by="test")
    assert table.claim_start(new.file_id, "token", by="test")
    item = table.get(new.file_id)
    assert item is not None
    own = PARQUET_TO_JSON.context(local_stage.config, local_stage.stage).app
    [orchestrator] = definition(local_stage.naming, own).handlers
    arguments = job_arguments(item, "token", StartConfig.from_environ(orchestrator.environment))
    glue = local_stage.session.client("glue")
    run_id = glue.start_job_run(JobName=names.job, Arguments=arguments)["JobRunId"]
    local_stage.wait()
    record = plain(table.get(new.file_id))
    assert record["processing_status"] == "SUCCEEDED", record
    assert (record["engine"], record["job_run_id"]) == ("spark", run_id)
    assert (record["record_count"], record["rejected_count"]) == (4996, 4)


def test_gdp_run_json_carries_each_uploads_metadata_record(assemblies):
    sample = SAMPLES / "raw-data/2024/02/15/yellow_tripdata_2023-12.parquet"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli.main",
            "run",
            "--app",
            "parquet-to-json",
            "--json",
            "--assembly",
            str(assemblies),
            str(sample),
        ],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines() if '"input"' in line]
    assert (row["app"], row["state"], row["rows_written"]) == ("parquet-to-json", "SUCCEEDED", 3000)
    assert row["record"]["processing_status"] == "SUCCEEDED"
    assert row["record"]["output_file_path"].endswith(f"/{sample.stem}.json")
