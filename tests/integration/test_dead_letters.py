"""A single-node run that keeps failing is retried by Lambda, reported FAILED with its error
and log, and then kept in its dead-letter queue, in Lambda's on-failure format; ``gdp
reprocess --dead-letters`` re-drives it: nothing is lost."""

from __future__ import annotations

import json

import pytest

from applications_repo.file_processor.names import FileProcessorNames
from shared.cli.main import main
from shared.local.run import summary
from tests.integration.test_burst_and_duplicates import runs_of

pytestmark = pytest.mark.integration


def test_a_failing_run_is_reported_and_ends_in_the_dead_letter_queue(local_stage, tmp_path):
    # GIVEN the catalog database is gone, so every run fails when it registers its table
    naming = local_stage.naming
    names = FileProcessorNames(naming)
    glue = local_stage.session.client("glue")
    glue.delete_database(Name=naming.database)
    path = tmp_path / "doomed file.csv"
    path.write_text("id\n1\n")
    # WHEN a CSV is uploaded and processed
    upload = local_stage.upload(path, "doomed/doomed file.csv")
    local_stage.wait([upload])
    # THEN the run is FAILED with the error, and its log holds it
    [row] = summary(local_stage, [upload], [])
    assert row.state == "FAILED" and "EntityNotFoundException" in row.note
    [run] = runs_of(local_stage, upload.key)
    assert run.job_name == names.single_node_function
    assert "EntityNotFoundException" in run.log_file.read_text()
    # AND Lambda tried it three times, then sent it to the function's dead-letter queue
    sqs = local_stage.session.client("sqs")
    url = sqs.get_queue_url(QueueName=names.single_node_dead_letter_queue)["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)[
        "Messages"
    ]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"]["JobRunId"] == run.run_id
    assert record["requestPayload"]["Arguments"]["--source_key"] == upload.key
    assert "EntityNotFoundException" in record["responsePayload"]["errorMessage"]


def test_gdp_reprocess_redrives_the_failed_run(local_stage, capsys):
    # GIVEN the dead-lettered run of the test above, and the database back in place
    naming = local_stage.naming
    local_stage.deployed.redeploy("AWS::Glue::Database", naming.database)
    # WHEN the dead-letter queues are re-driven
    assert main(["reprocess", "--dead-letters"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    redrive = json.loads(line)
    local_stage.wait()
    # THEN the object's run starts again and succeeds, and the queues are empty
    assert redrive["object"] == f"s3://{naming.input_bucket}/doomed/doomed file.csv"
    run = local_stage.run(redrive["job_run_id"])
    assert run is not None and run.state == "SUCCEEDED", run
    assert local_stage.dead_letters() == 0


def test_a_dead_lettered_event_of_a_file_the_trigger_rejects_is_quarantined_by_the_redrive(
    local_stage, capsys
):
    # GIVEN a file the trigger rejects (not a CSV) whose event is in the trigger's
    # dead-letter queue, never handled (its age ran out behind a burst): no reason is kept
    naming = local_stage.naming
    names = FileProcessorNames(naming)
    s3, sqs = local_stage.session.client("s3"), local_stage.session.client("sqs")
    key = "aged/notes.txt"
    version = s3.put_object(Bucket=naming.input_bucket, Key=key, Body=b"x").get("VersionId")
    local_stage.wait()
    s3.delete_object(Bucket=naming.input_bucket, Key=f"quarantine/{key}.reason.json")
    event = {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {
            "bucket": {"name": naming.input_bucket},
            "object": {"key": key, "size": 1, "version-id": version, "sequencer": "00A"},
        },
    }
    record = {
        "requestContext": {
            "functionArn": "arn:aws:lambda:::function:x",
            "condition": "EventAgeExceeded",
        },
        "requestPayload": event,
    }
    url = sqs.get_queue_url(QueueName=names.dead_letter_queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
    # WHEN the dead-letter queues are re-driven
    assert main(["reprocess", "--dead-letters"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    # THEN the file is quarantined with the trigger's reason, and the message is gone
    redrive = json.loads(line)
    assert redrive["job_run_id"] is None
    assert redrive["quarantine"] == f"s3://{naming.input_bucket}/quarantine/{key}.reason.json"
    kept = s3.get_object(Bucket=naming.input_bucket, Key=f"quarantine/{key}.reason.json")
    assert "not a CSV file" in json.loads(kept["Body"].read())["reason"]
    assert local_stage.dead_letters() == 0
