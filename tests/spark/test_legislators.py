"""ProcessLegislators on the sample data set: join counts, partitions, catalog (moto)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from applications_repo.legislators.job.entrypoint import TABLE, process_legislators
from applications_repo.legislators.job.history import membership_history
from shared.glue.catalog import GlueCatalog
from shared.glue.storage import LocalStorage

SAMPLES = Path(__file__).parents[2] / "applications_repo" / "legislators" / "samples"


@pytest.fixture(scope="module")
def frames(spark):
    return {
        name: spark.read.json(str(SAMPLES / f"{name}.json"))
        for name in ("persons", "memberships", "organizations")
    }


def test_history_joins_known_persons_to_known_organizations(frames):
    history = membership_history(frames["persons"], frames["memberships"], frames["organizations"])
    rows = history.collect()
    assert len(rows) == 7
    by_org = {}
    for row in rows:
        by_org.setdefault(row["org_name"], []).append(row["id"])
    assert {org: sorted(ids) for org, ids in by_org.items()} == {
        "House": ["p1", "p1", "p2", "p5"],
        "Senate": ["p3", "p4"],
        "Democrat": ["p4"],
    }


def test_organizations_lose_their_names_and_identifiers_and_join_columns(frames):
    history = membership_history(frames["persons"], frames["memberships"], frames["organizations"])
    assert "person_id" not in history.columns and "org_id" not in history.columns
    assert history.columns.count("identifiers") == 1
    assert {"org_links", "org_image", "links", "image", "org_name"} <= set(history.columns)
    assert len(history.columns) == len(set(history.columns))


def test_the_job_writes_parquet_partitioned_by_organization_and_registers_it(spark, tmp_path):
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": "db"})
        counts = process_legislators(
            spark,
            LocalStorage(),
            input_uri=str(SAMPLES),
            output_root=str(tmp_path),
            run_id="run-1",
            catalog=GlueCatalog(glue, "db"),
        )
        partitions = glue.get_partitions(DatabaseName="db", TableName=TABLE)["Partitions"]
    assert (counts.persons, counts.memberships, counts.organizations) == (6, 9, 3)
    assert counts.history == 7 and counts.output == f"{tmp_path}/{TABLE}/"
    folders = sorted(p.name for p in (tmp_path / TABLE).iterdir())
    assert folders == ["org_name=Democrat", "org_name=House", "org_name=Senate"]
    assert pq.read_table(tmp_path / TABLE / "org_name=House").num_rows == 4
    assert sorted(p["Values"][0] for p in partitions) == ["Democrat", "House", "Senate"]
    assert not (tmp_path / "_staging").exists()
