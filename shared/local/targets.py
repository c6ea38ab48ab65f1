"""Sending a payload to whatever an ARN names, as AWS's services do for their targets and
destinations (EventBridge targets, schedules, Lambda destinations and dead-letter queues).

Each service is one sender; the Step Functions and API Gateway issues add theirs with
``Targets.register`` (the seam), nothing else changes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

Sender = Callable[[str, Any, Mapping[str, str]], None]
"""``(arn, payload, attributes)``: delivers one payload; raises when it cannot."""


class UnsupportedTargetError(ValueError):
    """No sender for the ARN's service: the local stage cannot deliver there."""


def service_of(arn: str) -> str:
    return arn.split(":")[2]


class Targets:
    """The senders of the local stage, by the service of the target ARN."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._senders: dict[str, Sender] = {
            "sqs": self._to_queue,
            "sns": self._to_topic,
        }

    def register(self, service: str, sender: Sender) -> None:
        self._senders[service] = sender

    def send(self, arn: str, payload: Any, attributes: Mapping[str, str] | None = None) -> None:
        """Deliver ``payload`` (a JSON value) to ``arn``.

        Raises:
            UnsupportedTargetError: for a service the local stage has no sender for.
        """
        service = service_of(arn)
        if service not in self._senders:
            raise UnsupportedTargetError(f"{arn}: the local stage cannot deliver to {service}")
        self._senders[service](arn, payload, attributes or {})

    def _to_queue(self, arn: str, payload: Any, attributes: Mapping[str, str]) -> None:
        sqs = self.session.client("sqs")
        account, name = arn.split(":")[4], arn.split(":")[5]
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        message: dict[str, Any] = {"QueueUrl": url, "MessageBody": _body(payload)}
        if attributes:
            message["MessageAttributes"] = {
                k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
            }
        sqs.send_message(**message)

    def _to_topic(self, arn: str, payload: Any, attributes: Mapping[str, str]) -> None:
        message: dict[str, Any] = {"TopicArn": arn, "Message": _body(payload)}
        if attributes:
            message["MessageAttributes"] = {
                k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
            }
        self.session.client("sns").publish(**message)


def _body(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload)
