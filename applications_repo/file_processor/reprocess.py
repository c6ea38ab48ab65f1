"""Re-drive FileProcessorV2: a file, every file under a prefix, or what waits in the
dead-letter queues (the trigger's events, and the single-node function's failed runs), with
the same arguments the trigger would give.

Processing the same object version again replaces its output, so re-driving is always safe.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from applications_repo.file_processor.runtime.trigger import FUNCTION_RUN_PREFIX, Clients, start_run
from applications_repo.file_processor.uploads import TriggerConfig, UploadedObject, rejection
from shared.application import FunctionJob, ObjectCreatedHandler
from shared.function_job import RUN_ID
from shared.quarantine import QUARANTINE_PREFIX, quarantine

MAX_MESSAGES = 10
WAIT_SECONDS = 1


@dataclass(frozen=True)
class Redrive:
    """One re-driven object and the run it started (or why it did not)."""

    object: str
    job_run_id: str | None
    problem: str | None = None
    quarantine: str | None = None
    """Where its reason is kept, when the trigger's checks reject it (it is quarantined, as
    the trigger quarantines it)."""

    @property
    def handled(self) -> bool:
        """A run started, or the object is quarantined with its reason."""
        return bool(self.job_run_id or self.quarantine)


class Reprocessor:
    """Starts FileProcessorV2 runs for objects, as the trigger does, through boto3 clients."""

    def __init__(self, session, handler: ObjectCreatedHandler, single_node: FunctionJob) -> None:
        self.s3 = session.client("s3")
        self.sqs = session.client("sqs")
        self.clients = Clients(
            glue=session.client("glue"), s3=self.s3, lambda_=session.client("lambda")
        )
        self.handler = handler
        self.single_node = single_node
        self.config = TriggerConfig.from_environ(handler.environment)

    def objects(self, prefix: str) -> Iterator[UploadedObject]:
        """The current version of every object under ``prefix`` (quarantine excluded)."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.handler.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.startswith(QUARANTINE_PREFIX):
                    continue
                head = self.s3.head_object(Bucket=self.handler.bucket, Key=key)
                yield UploadedObject(self.handler.bucket, key, item["Size"], head.get("VersionId"))

    def start(self, obj: UploadedObject) -> Redrive:
        """Start a run for ``obj``, or quarantine it with its reason when the trigger would
        reject it."""
        refused = rejection(obj, self.config)
        if refused:
            kept = quarantine(
                self.s3,
                bucket=obj.bucket,
                key=obj.key,
                version_id=obj.version_id,
                size=obj.size,
                reason=refused.message,
                rejected_by=f"{self.handler.function_name} (gdp reprocess)",
            )
            return Redrive(obj.uri, None, refused.message, quarantine=kept)
        return Redrive(obj.uri, start_run(obj, self.clients, self.config).run_id)

    def dead_letters(self) -> Iterator[Redrive]:
        """Start a run for each dead-lettered trigger event and failed single-node run (or
        quarantine an object the trigger rejects); a message is deleted once handled, and
        stays in its queue when the run is refused again."""
        for queue in (self.handler.dead_letter_queue, self.single_node.dead_letter_queue):
            yield from self._drain(queue)

    def _drain(self, queue: str) -> Iterator[Redrive]:
        url = self.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=MAX_MESSAGES, WaitTimeSeconds=WAIT_SECONDS
            ).get("Messages", [])
            if not messages:
                return
            for message in messages:
                redrive = self._redrive_message(message["Body"])
                if redrive.handled:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                yield redrive

    def _redrive_message(self, body: str) -> Redrive:
        """A Lambda invocation record: the trigger's (an S3 event: its object is started
        again, on the function or Glue by size) or the single-node function's (a run: the
        function is invoked again with the run's own arguments)."""
        event = json.loads(body).get("requestPayload", {})
        if RUN_ID not in event:
            obj = UploadedObject.from_event(event)
            try:
                return self.start(obj)
            except self.s3.exceptions.ClientError as error:
                return Redrive(obj.uri, None, f"refused again: {error}")
        arguments = event.get("Arguments", {})
        uri = f"s3://{arguments.get('--source_bucket', '')}/{arguments.get('--source_key', '')}"
        try:
            return Redrive(uri, self._invoke_again(event))
        except self.s3.exceptions.ClientError as error:
            return Redrive(uri, None, f"refused again: {error}")

    def _invoke_again(self, run: dict) -> str:
        """The failed run, invoked again with its own arguments and a new run id."""
        run_id = f"{FUNCTION_RUN_PREFIX}{uuid.uuid4().hex}"
        self.clients.lambda_.invoke(
            FunctionName=self.single_node.function_name,
            InvocationType="Event",
            Payload=json.dumps({**run, RUN_ID: run_id}).encode(),
        )
        return run_id
