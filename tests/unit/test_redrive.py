"""``gdp redrive``: each dead letter goes back to where it failed (the function of its
invocation record, the queue whose redrive policy sent it), and one whose source is unknown
stays in its queue with the reason."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from shared.redrive import redrive

REGION = "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:probe-handler"


class Session:
    """A boto3 session whose Lambda client is stubbed (moto's Lambda needs Docker to run)."""

    def __init__(self, functions):
        self.real, self.functions = boto3.Session(region_name=REGION), functions

    def client(self, service):
        return self.functions if service == "lambda" else self.real.client(service)


@pytest.fixture
def sqs():
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def url_of(sqs, name, **attributes):
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def waiting(sqs, url):
    return [
        m["Body"]
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_an_invocation_record_invokes_its_function_again_with_its_event(sqs):
    dlq = url_of(sqs, "probe-dlq")
    record = {
        "requestContext": {
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "RetriesExhausted",
        },
        "requestPayload": {"detail": {"object": {"key": "in/a.csv"}}},
    }
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(record))
    functions = boto3.client("lambda", region_name=REGION)
    with Stubber(functions) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": FUNCTION_ARN,
                "InvocationType": "Event",
                "Payload": json.dumps(record["requestPayload"]).encode(),
            },
        )
        done = list(redrive(Session(functions), "probe-dlq"))
        stub.assert_no_pending_responses()
    assert [(d.to, d.problem) for d in done] == [("probe-handler", None)]
    assert waiting(sqs, dlq) == []


def test_a_message_of_a_queue_goes_back_to_that_queue(sqs):
    dlq = url_of(sqs, "probe-work-dlq")
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    work = url_of(
        sqs,
        "probe-work",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2}),
    )
    sqs.send_message(QueueUrl=dlq, MessageBody='{"n": 1}')
    done = list(redrive(Session(boto3.client("lambda", region_name=REGION)), "probe-work-dlq"))
    assert [(d.to, d.problem) for d in done] == [("probe-work", None)]
    assert waiting(sqs, work) == ['{"n": 1}']
    assert waiting(sqs, dlq) == []


def test_a_message_from_nowhere_known_stays_with_the_reason(sqs):
    dlq = url_of(sqs, "probe-orphans")
    sqs.send_message(QueueUrl=dlq, MessageBody="plain text")
    functions = boto3.client("lambda", region_name=REGION)
    with Stubber(functions) as stub:
        done = list(redrive(Session(functions), "probe-orphans"))
        stub.assert_no_pending_responses()
    [stayed] = done
    assert stayed.problem is not None and "where it came from is not known" in stayed.problem
    assert waiting(sqs, dlq) == ["plain text"]


def test_a_refused_invocation_leaves_the_record_in_its_queue(sqs):
    dlq = url_of(sqs, "probe-refused")
    record = {"requestContext": {"functionArn": FUNCTION_ARN}, "requestPayload": {"n": 2}}
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(record))
    functions = boto3.client("lambda", region_name=REGION)
    with Stubber(functions) as stub:
        stub.add_client_error(
            "invoke",
            "ResourceNotFoundException",
            "no such function",
            404,
            expected_params={
                "FunctionName": FUNCTION_ARN,
                "InvocationType": "Event",
                "Payload": ANY,
            },
        )
        [stayed] = list(redrive(Session(functions), "probe-refused"))
    assert stayed.problem is not None and "no such function" in stayed.problem
    assert len(waiting(sqs, dlq)) == 1
