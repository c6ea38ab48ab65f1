"""medallion in the dev stage of the local AWS, made from its synthesized templates: the
deployed state machine's definition executed with the real ingestion handler against the
sample API, the real Glue job on local Spark and the crawler stand-in. One back-fill covers
every path of a run date: data (one date resuming after a failed attempt), no data, an
ingestion failing after its retries, a Glue job failing after its retries; a re-run meets a
failing crawler; the schedule starts one execution for its day."""

from __future__ import annotations

import argparse
import io
import json
from collections import Counter

import pyarrow.parquet as pq
import pytest
from moto.sns.models import sns_backends

from applications_repo.medallion.names import MedallionNames
from shared.cli import query_command
from tests.post_deploy.test_medallion import (  # noqa: F401 (collected here as well)
    test_an_execution_without_run_dates_fails_with_its_reason,
    test_the_crawler_crawls_gold_into_the_stage_database,
    test_the_daily_schedule_starts_the_state_machine,
)

pytestmark = pytest.mark.integration
GOOD = ("2025-11-01", "2025-11-02", "2025-11-03")
EMPTY, FAILING, BROKEN = "2025-11-04", "2025-11-05", "2025-11-06"
SERVICE = "sample orders API"


@pytest.fixture(scope="module")
def names(local_stage) -> MedallionNames:
    return MedallionNames(local_stage.naming)


@pytest.fixture(scope="module")
def api(local_stage):
    return local_stage.services[SERVICE]


def run_dates(local_stage, names, dates):
    arn = local_stage.state_machines.start_execution(names.state_machine, {"run_dates": dates})
    return local_stage.state_machines.wait(arn)


@pytest.fixture(scope="module")
def backfill(local_stage, names, api):
    api.faults.empty_dates.add(EMPTY)
    api.faults.failing_dates.add(FAILING)
    api.faults.broken_dates.add(BROKEN)
    api.fail_page(GOOD[0], "100", *[503] * 5)
    execution = run_dates(local_stage, names, [*GOOD, EMPTY, FAILING, BROKEN])
    local_stage.wait()
    return execution


def subjects(local_stage) -> list[str]:
    return [s for s in local_stage.alerts() if s.startswith("medallion ")]


def gold_rows(local_stage, names, day: str) -> int:
    year, month, date_of_month = day.split("-")
    prefix = f"curated/year={year}/month={month}/day={date_of_month}/"
    s3 = local_stage.session.client("s3")
    listed = s3.list_objects_v2(Bucket=names.gold_bucket, Prefix=prefix).get("Contents", [])
    bodies = [s3.get_object(Bucket=names.gold_bucket, Key=o["Key"])["Body"].read() for o in listed]
    return sum(pq.read_table(io.BytesIO(b)).num_rows for b in bodies)


def test_the_back_fill_fails_because_three_of_its_dates_did(backfill):
    assert (backfill.status, backfill.error) == ("FAILED", "RunDatesFailed")


def test_each_date_ends_in_its_own_notification(local_stage, backfill):
    assert Counter(subjects(local_stage)) == Counter(
        [
            *(f"medallion {day} succeeded" for day in GOOD),
            f"medallion {EMPTY} failed at Data fetched",
            f"medallion {FAILING} failed at Ingest",
            f"medallion {BROKEN} failed at Transform",
        ]
    )


def test_the_failure_notifications_name_the_error_and_the_run_date(local_stage, names, backfill):
    topic = local_stage.naming.topic_arn(names.notifications_topic)
    backend = sns_backends[local_stage.naming.account][local_stage.naming.region]
    messages = [json.loads(sent[1]) for sent in backend.topics[topic].sent_notifications]
    failed = {m["run_date"]: m for m in messages if "error" in m}
    assert failed[EMPTY]["error"] == "NoData"
    assert failed[EMPTY]["cause"] == f"the API returned no records for {EMPTY}"
    assert failed[FAILING]["error"] == "ApiError"
    assert "HTTP 503" in failed[FAILING]["cause"]
    assert failed[BROKEN]["error"] == "States.TaskFailed"
    assert "rejected, above the gate" in failed[BROKEN]["cause"]
    succeeded = {m["run_date"]: m for m in messages if "records" in m}
    assert set(succeeded) == set(GOOD)
    assert all(m["cost_usd"] >= 0 and m["job_run"].startswith("jr_") for m in succeeded.values())


def test_the_ingestion_was_tried_four_times_and_the_glue_job_three(
    local_stage, names, api, backfill
):
    requests = [p for p, _ in api.requests if f"date={FAILING}" in p]
    assert len(requests) == (1 + 3) * 5  # four invocations of five requests each
    runs = [r for r in local_stage.runs() if r.arguments.get("--run_date") == BROKEN]
    assert [r.state for r in runs] == ["FAILED"] * 3
    assert all("rejected, above the gate" in (r.error or "") for r in runs)


def test_a_date_whose_first_attempt_failed_resumed_at_its_checkpoint(
    local_stage, names, api, backfill
):
    item = (
        local_stage.session.resource("dynamodb")
        .Table(names.checkpoints_table)
        .get_item(Key={"run_date": GOOD[0]})["Item"]
    )
    assert (item["status"], int(item["pages"])) == ("INGESTED", 3)
    first_pages = [p for p, status in api.requests if f"date={GOOD[0]}" in p and status == 200]
    assert len(first_pages) == 3


def test_gold_holds_each_good_date_as_one_partition_in_the_catalog(local_stage, names, backfill):
    glue = local_stage.session.client("glue")
    table = glue.get_table(DatabaseName=local_stage.naming.database, Name=names.table)["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day"]
    partitions = glue.get_partitions(
        DatabaseName=local_stage.naming.database, TableName=names.table
    )
    assert sorted(tuple(p["Values"]) for p in partitions["Partitions"]) == [
        ("2025", "11", "01"),
        ("2025", "11", "02"),
        ("2025", "11", "03"),
    ]
    assert all(gold_rows(local_stage, names, day) > 0 for day in GOOD)
    assert gold_rows(local_stage, names, BROKEN) == 0


def test_gdp_query_answers_athena_sql_over_the_local_gold_layer(
    local_stage, names, backfill, tmp_path, capsys
):
    snapshot = local_stage.snapshot(tmp_path / "snapshot")
    sql = f"SELECT day, count(*) AS orders FROM {names.table} GROUP BY day ORDER BY day"
    query_command.run(argparse.Namespace(sql=sql, snapshot=snapshot, json=True))
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["day"] for r in rows] == ["01", "02", "03"]
    assert [r["orders"] for r in rows] == [gold_rows(local_stage, names, day) for day in GOOD]


def test_a_re_run_replaces_its_date_and_a_failing_crawler_is_notified(local_stage, names, backfill):
    before = gold_rows(local_stage, names, GOOD[1])
    s3 = local_stage.session.client("s3")
    stray = "curated/year=2025/month=10/day=31/notes.txt"
    s3.put_object(Bucket=names.gold_bucket, Key=stray, Body=b"not parquet")
    try:
        execution = run_dates(local_stage, names, [GOOD[1]])
    finally:
        s3.delete_object(Bucket=names.gold_bucket, Key=stray)
    assert execution.status == "FAILED"
    assert subjects(local_stage)[-1] == f"medallion {GOOD[1]} failed at Crawl"
    assert gold_rows(local_stage, names, GOOD[1]) == before
    assert "not Parquet" in local_stage.crawlers.errors[names.crawler]


def test_the_schedule_starts_one_execution_for_its_day(local_stage, names, backfill):
    [machine] = local_stage.fire_workflows(["medallion"])
    local_stage.wait()
    execution = local_stage.state_machines.of(machine)[-1]
    assert execution.status == "SUCCEEDED"
    assert execution.input["scheduled_time"].endswith("Z")
    assert [r["status"] for r in execution.output["results"]] == ["SUCCEEDED"]
