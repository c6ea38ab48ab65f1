"""Lambda's SQS event source mappings, on this machine: each enabled mapping of the local AWS
polls its queue and invokes its function synchronously with batches of messages, as Lambda
does.

- Up to ``BatchSize`` messages per batch, gathered for at most
  ``MaximumBatchingWindowInSeconds`` (on the local clock).
- A batch that succeeds is deleted; with ``ReportBatchItemFailures`` only the messages the
  handler does not list in ``batchItemFailures`` are. A failed message becomes visible again
  after the queue's visibility timeout (on the local clock) and is received again; the
  queue's redrive policy moves it to the dead-letter queue after ``maxReceiveCount``
  receives (moto does that, as SQS does).
- Batches run at once up to the mapping's ``ScalingConfig.MaximumConcurrency`` (else the
  function's reserved concurrency, else two pollers).
- Under a chaos run (``shared.local.faults``) a message its handler succeeded on now and then
  comes back after its visibility timeout, as when a handler outlives it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.sqs import models as sqs_models

from shared.local import faults
from shared.local.clock import LocalClock
from shared.local.functions import FunctionError, LocalFunctions

POLL_SECONDS = 0.1
DEFAULT_POLLERS = 2
MAX_POLLERS = 4
SQS_RECEIVE_LIMIT = 10
REPORT_FAILURES = "ReportBatchItemFailures"

Progress = Callable[[str], None]


@dataclass
class Mapping:
    """One SQS event source mapping as the local AWS holds it."""

    uuid: str
    function: str
    queue_arn: str
    queue_url: str
    batch_size: int
    window_seconds: float
    visibility_timeout: int
    report_failures: bool
    pollers: int
    batches: list[int] = field(default_factory=list)
    receiving: threading.Lock = field(default_factory=threading.Lock)
    """Receives take turns: moto's ReceiveMessage is not safe against itself (two at once
    can both take one message), where SQS's is."""


class LocalEventSourceMappings:
    """Polls the queues of the local AWS's SQS event source mappings."""

    def __init__(
        self,
        session: Any,
        functions: LocalFunctions,
        clock: LocalClock,
        *,
        account: str,
        progress: Progress = lambda line: None,
    ) -> None:
        self.account = account
        self.lam, self.sqs = session.client("lambda"), session.client("sqs")
        self.functions, self.clock, self.progress = functions, clock, progress
        self.mappings: list[Mapping] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._lock = threading.Lock()

    def start(self) -> LocalEventSourceMappings:
        # moto's own mappings would receive each message as it is sent and try to invoke
        # the function in Docker: the runtime polls instead
        for backend in sqs_models.sqs_backends[self.account].values():
            for moto_queue in backend.queues.values():
                moto_queue.lambda_event_source_mappings.clear()
        pages = self.lam.get_paginator("list_event_source_mappings").paginate()
        for page in pages:
            for found in page["EventSourceMappings"]:
                if found["EventSourceArn"].split(":")[2] != "sqs" or found["State"] != "Enabled":
                    continue
                self.mappings.append(self._mapping(found))
        for mapping in self.mappings:
            for index in range(mapping.pollers):
                thread = threading.Thread(
                    target=self._poll,
                    args=(mapping,),
                    name=f"sqs-{mapping.function}-{index}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        return self

    def _mapping(self, found: dict[str, Any]) -> Mapping:
        arn = found["EventSourceArn"]
        account, name = arn.split(":")[4], arn.split(":")[5]
        url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        visibility = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["VisibilityTimeout"]
        )["Attributes"]["VisibilityTimeout"]
        function = found["FunctionArn"].split(":")[6]
        reserved = self.functions.config(function).reserved_concurrency
        pollers = found.get("ScalingConfig", {}).get("MaximumConcurrency") or reserved
        return Mapping(
            uuid=found["UUID"],
            function=function,
            queue_arn=arn,
            queue_url=url,
            batch_size=int(found.get("BatchSize", 10)),
            window_seconds=float(found.get("MaximumBatchingWindowInSeconds", 0)),
            visibility_timeout=int(visibility),
            report_failures=REPORT_FAILURES in found.get("FunctionResponseTypes", []),
            pollers=min(MAX_POLLERS, pollers or DEFAULT_POLLERS),
        )

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def idle(self) -> bool:
        """No batch runs and no message waits or is in flight in a mapped queue."""
        with self._lock:
            if self._busy:
                return False
        for mapping in self.mappings:
            counts = self.sqs.get_queue_attributes(
                QueueUrl=mapping.queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            if any(int(v) for v in counts.values()):
                return False
        return True

    def _poll(self, mapping: Mapping) -> None:
        while not self._stop.is_set():
            batch: list[dict[str, Any]] = []
            with self._lock:
                self._busy += 1
            try:
                batch = self._gather(mapping)
                if batch:
                    self._invoke(mapping, batch)
            except Exception as error:  # the runtime's own failure: shown, never swallowed
                self.progress(f"{mapping.function} poller: {type(error).__name__}: {error}")
            finally:
                with self._lock:
                    self._busy -= 1
            if not batch:
                self._stop.wait(POLL_SECONDS)

    def _gather(self, mapping: Mapping) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.clock.seconds(mapping.window_seconds)
        while len(batch) < mapping.batch_size:
            with mapping.receiving:
                received = self.sqs.receive_message(
                    QueueUrl=mapping.queue_url,
                    MaxNumberOfMessages=min(SQS_RECEIVE_LIMIT, mapping.batch_size - len(batch)),
                    VisibilityTimeout=mapping.visibility_timeout,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            batch += received
            if time.monotonic() >= deadline or (not received and not batch):
                break
            if not received:
                time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        return batch

    def _invoke(self, mapping: Mapping, batch: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(mapping, m) for m in batch]}
        mapping.batches.append(len(batch))
        failed: set[str]
        try:
            result = self.functions.invoke(mapping.function, event, source=f"sqs {mapping.uuid}")
        except FunctionError as error:
            self.progress(f"{mapping.function}: batch of {len(batch)} failed: {error}")
            failed = {m["MessageId"] for m in batch}
        else:
            failures = (
                (result or {}).get("batchItemFailures", []) if mapping.report_failures else []
            )
            failed = {f["itemIdentifier"] for f in failures}
        for message in batch:
            if message["MessageId"] not in failed and faults.decide(
                faults.Fault.SQS_REDELIVERED, faults.stable_key(mapping.function, message["Body"])
            ):
                failed.add(message["MessageId"])  # its handler outlived the visibility timeout
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=mapping.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=round(self.clock.seconds(mapping.visibility_timeout)),
                )
            else:
                self.sqs.delete_message(
                    QueueUrl=mapping.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def _record(self, mapping: Mapping, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "dataType": value["DataType"],
                    "stringListValues": [],
                    "binaryListValues": [],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": mapping.queue_arn,
            "awsRegion": mapping.queue_arn.split(":")[3],
        }
