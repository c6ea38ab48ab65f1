"""Files above the single-node size run on Glue with Spark (here every file: the stage's
``glue.single_node_max_bytes`` is 0). Glue's own behaviour through the local stage: runs
beyond the job's concurrency wait in its queue; a refused run's event is retried, then kept
in the trigger's dead-letter queue and re-driven; a failed run is reported with its error,
its log and an alert."""

from __future__ import annotations

import json
import time
from urllib.parse import quote_plus

import pytest

from applications_repo.file_processor.names import FileProcessorNames
from shared.cli.main import main
from shared.local.run import summary
from tests.post_deploy.checks import parquet_row_count, wait_for_run

pytestmark = pytest.mark.integration

BURST = 6


@pytest.fixture(scope="module")
def local_stage(spark_stage):
    """This module's stage: the Glue path for every upload."""
    return spark_stage


def test_a_burst_beyond_the_concurrency_waits_in_glues_queue(local_stage, tmp_path):
    # GIVEN six CSV files uploaded at once, with three runs allowed at a time
    uploads = []
    for index in range(BURST):
        path = tmp_path / f"part-{index}.csv"
        path.write_text("id,value\n" + "".join(f"{i},{index}\n" for i in range(index + 1)))
        uploads.append(local_stage.upload(path, f"burst/{path.name}"))
    # WHEN they have all been delivered and run
    local_stage.wait(uploads)
    # THEN every file ran once on Glue, to success, and the runs beyond three waited
    rows = summary(local_stage, uploads, [])
    assert [row.state for row in rows] == ["SUCCEEDED"] * BURST, [r.note for r in rows]
    glue = local_stage.session.client("glue")
    runs = glue.get_job_runs(JobName=FileProcessorNames(local_stage.naming).job)["JobRuns"]
    assert sorted(r["Arguments"]["--source_key"] for r in runs) == sorted(u.key for u in uploads)
    assert {r["Arguments"]["--engine"] for r in runs} == {"spark"}
    assert any(record.queued for record in local_stage.executor.runs.values())
    s3 = local_stage.session.client("s3")
    written = parquet_row_count(s3, local_stage.naming.output_bucket, "burst/")
    assert written == sum(range(1, BURST + 1))


def test_a_failed_run_is_reported_with_its_error_log_and_alert(local_stage, tmp_path):
    # GIVEN the catalog database is gone, so the job fails when it registers its table
    naming = local_stage.naming
    local_stage.session.client("glue").delete_database(Name=naming.database)
    path = tmp_path / "doomed.csv"
    path.write_text("id\n1\n")
    # WHEN a CSV is uploaded and processed
    upload = local_stage.upload(path, "doomed/doomed.csv")
    local_stage.wait([upload])
    [row] = summary(local_stage, [upload], [])
    # THEN Glue holds a FAILED run with the error, the summary names it and the log
    assert row.state == "FAILED"
    assert row.note.startswith("EntityNotFoundException")
    glue = local_stage.session.client("glue")
    [run] = [
        r
        for r in glue.get_job_runs(JobName=FileProcessorNames(naming).job)["JobRuns"]
        if r["Arguments"]["--source_key"] == "doomed/doomed.csv"
    ]
    assert run["JobRunState"] == "FAILED" and "EntityNotFoundException" in run["ErrorMessage"]
    record = local_stage.executor.runs[run["Id"]]
    assert "EntityNotFoundException" in record.log_file.read_text()
    # AND the run monitor alerted the stage's topic with the job, the run and the source
    [subject] = local_stage.alerts()
    assert subject.startswith(
        f"[dev] {FileProcessorNames(naming).job} FAILED: s3://{naming.input_bucket}/doomed/"
    )


def test_a_refused_event_ends_in_the_dead_letter_queue(local_stage, tmp_path):
    # GIVEN the FileProcessor job is gone, so that every StartJobRun is refused
    naming = local_stage.naming
    local_stage.session.client("glue").delete_job(JobName=FileProcessorNames(naming).job)
    source = tmp_path / "refused file.csv"
    source.write_text("a,b\n1,2\n")
    # WHEN a CSV is uploaded
    upload = local_stage.upload(source, "refused/refused file.csv")
    deadline = time.monotonic() + 30
    identity = (upload.bucket, upload.key, upload.version_id)
    while time.monotonic() < deadline:
        delivery = local_stage.deliveries.get(identity)
        if delivery and delivery.outcome != "PENDING":
            break
        time.sleep(0.1)
    # THEN the event was tried three times and then dead-lettered with the error
    assert (delivery.outcome, delivery.attempts) == ("DEAD_LETTERED", 3)
    sqs = local_stage.session.client("sqs")
    url = sqs.get_queue_url(QueueName=FileProcessorNames(naming).dead_letter_queue)["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)[
        "Messages"
    ]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"]["detail"]["object"]["key"] == quote_plus(upload.key, safe="/")
    assert "EntityNotFoundException" in record["responsePayload"]["errorMessage"]


def test_gdp_reprocess_redrives_the_dead_letters(local_stage, capsys):
    # GIVEN the dead-lettered event of the test above, and the job and database back
    naming = local_stage.naming
    local_stage.deployed.redeploy("AWS::Glue::Job", FileProcessorNames(naming).job)
    local_stage.deployed.redeploy("AWS::Glue::Database", naming.database)
    # WHEN the dead-letter queues are re-driven
    assert main(["reprocess", "--dead-letters", "--config", local_stage.config_path]) == 0
    [line] = capsys.readouterr().out.splitlines()
    redrive = json.loads(line)
    # THEN the object's run starts and succeeds, and the queue is empty
    assert redrive["object"] == f"s3://{naming.input_bucket}/refused/refused file.csv"
    run = wait_for_run(
        local_stage.session.client("glue"),
        FileProcessorNames(naming).job,
        argument="source_key",
        value="refused/refused file.csv",
        timeout_seconds=120,
        poll_seconds=0.2,
    )
    assert run["JobRunState"] == "SUCCEEDED"
    assert local_stage.dead_letters() == 0
