"""When Glue keeps refusing a run, the trigger's event is retried and then kept in the
dead-letter queue, in Lambda's on-failure format: nothing is lost."""

from __future__ import annotations

import json
import time
from urllib.parse import quote_plus

import pytest

from applications_repo.file_processor.names import FileProcessorNames
from shared.cli.main import main
from tests.post_deploy.checks import wait_for_run

pytestmark = pytest.mark.integration


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
    # GIVEN the dead-lettered event of the test above, and the job back in place
    naming = local_stage.naming
    session = local_stage.session
    local_stage.deployed.redeploy("AWS::Glue::Job", FileProcessorNames(naming).job)
    # WHEN the dead-letter queue is re-driven
    assert main(["reprocess", "--dead-letters"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    redrive = json.loads(line)
    # THEN the object's run starts and succeeds, and the queue is empty
    assert redrive["object"] == f"s3://{naming.input_bucket}/refused/refused file.csv"
    run = wait_for_run(
        session.client("glue"),
        FileProcessorNames(naming).job,
        argument="source_key",
        value="refused/refused file.csv",
        timeout_seconds=120,
        poll_seconds=0.2,
    )
    assert run["JobRunState"] == "SUCCEEDED"
    assert local_stage.dead_letters() == 0
