"""Re-driving a dead-letter queue: each message goes back to where it failed.

- A Lambda invocation record (a function's ``OnFailure`` destination): the function is
  invoked again, asynchronously, with the event it failed on (``requestPayload``).
- A message of a queue whose redrive policy names this one: it is sent back to that queue
  with its attributes (what SQS's own redrive does).
- An event an EventBridge rule could not deliver to a function (``TARGET_ARN``): the
  function is invoked with it.

A message is deleted once it is re-driven; one that cannot be (its source is unknown, the
call is refused) stays, with the reason reported. Works on a deployed stage and a local one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_MESSAGES = 10
HIDE_SECONDS = 300
"""A message is hidden this long while the pass goes through the queue: deleted once
re-driven, shown again at the end of the pass when it could not be."""


@dataclass(frozen=True)
class Redriven:
    """One message of the queue and where it went (``problem``: it stayed, and why)."""

    message_id: str
    to: str
    problem: str | None = None


def redrive(session: Any, queue: str) -> Iterator[Redriven]:
    """Re-drive every message waiting in ``queue`` (its name)."""
    sqs, functions = session.client("sqs"), session.client("lambda")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sources = _source_queues(sqs, arn)
    stayed: list[str] = []
    while messages := sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=MAX_MESSAGES,
        VisibilityTimeout=HIDE_SECONDS,
        MessageAttributeNames=["All"],
    ).get("Messages", []):
        for message in messages:
            try:
                to = _send_back(sqs, functions, message, sources)
            except (functions.exceptions.ClientError, ValueError) as error:
                stayed.append(message["ReceiptHandle"])
                yield Redriven(message["MessageId"], "", str(error))
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            yield Redriven(message["MessageId"], to)
    for handle in stayed:  # shown again once the pass is over
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)


def _source_queues(sqs: Any, arn: str) -> list[str]:
    """The queues whose redrive policy sends their failures to ``arn``."""
    found = []
    for page in sqs.get_paginator("list_queues").paginate():
        for url in page.get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
            policy = attributes.get("Attributes", {}).get("RedrivePolicy")
            if policy and json.loads(policy).get("deadLetterTargetArn") == arn:
                found.append(url)
    return found


def _send_back(sqs: Any, functions: Any, message: dict[str, Any], sources: list[str]) -> str:
    """Where ``message`` went back to.

    Raises:
        ValueError: nothing tells where it came from.
    """
    attributes = message.get("MessageAttributes", {})
    record = _json(message["Body"])
    if isinstance(record, dict) and "requestPayload" in record and "requestContext" in record:
        function = record["requestContext"]["functionArn"].removesuffix(":$LATEST")
        return _invoke(functions, function, record["requestPayload"])
    if len(sources) == 1:
        sqs.send_message(
            QueueUrl=sources[0],
            MessageBody=message["Body"],
            MessageAttributes={
                name: {k: v for k, v in value.items() if k in ("DataType", "StringValue")}
                for name, value in attributes.items()
            },
        )
        return sources[0].rsplit("/", 1)[-1]
    target = attributes.get("TARGET_ARN", {}).get("StringValue", "")
    if target.split(":")[2:3] == ["lambda"]:
        return _invoke(functions, target, record)
    raise ValueError(
        "not an invocation record, not from one queue, not from a rule: where it came from "
        "is not known"
    )


def _invoke(functions: Any, function: str, payload: Any) -> str:
    functions.invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode()
    )
    return function.rsplit(":", 1)[-1]


def _json(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body
