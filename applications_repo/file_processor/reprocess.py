"""Re-drive FileProcessorV2: a file, every file under a prefix, or the events in the trigger's
dead-letter queue, with the same arguments the trigger would give.

Processing the same object version again replaces its output, so re-driving is always safe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from applications_repo.file_processor.runtime.trigger import (
    TriggerConfig,
    UploadedObject,
    job_arguments,
    rejection,
)
from shared.application import ObjectCreatedHandler
from shared.quarantine import QUARANTINE_PREFIX

MAX_MESSAGES = 10
WAIT_SECONDS = 1


@dataclass(frozen=True)
class Redrive:
    """One re-driven object and the run it started (or why it did not)."""

    object: str
    job_run_id: str | None
    problem: str | None = None


class Reprocessor:
    """Starts FileProcessorV2 runs for objects, as the trigger does, through boto3 clients."""

    def __init__(self, session, handler: ObjectCreatedHandler) -> None:
        self.s3 = session.client("s3")
        self.glue = session.client("glue")
        self.sqs = session.client("sqs")
        self.handler = handler
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
        """Start a run for ``obj`` unless the trigger would reject it."""
        refused = rejection(obj, self.config)
        if refused:
            return Redrive(obj.uri, None, refused.message)
        run = self.glue.start_job_run(
            JobName=self.config.job_name, Arguments=job_arguments(obj, self.config)
        )
        return Redrive(obj.uri, run["JobRunId"])

    def dead_letters(self) -> Iterator[Redrive]:
        """Start a run for each dead-lettered event; a message is deleted once its run
        started, and stays in the queue when Glue refuses again."""
        url = self.sqs.get_queue_url(QueueName=self.handler.dead_letter_queue)["QueueUrl"]
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=MAX_MESSAGES, WaitTimeSeconds=WAIT_SECONDS
            ).get("Messages", [])
            if not messages:
                return
            for message in messages:
                redrive = self._redrive_message(message["Body"])
                if redrive.job_run_id:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                yield redrive

    def _redrive_message(self, body: str) -> Redrive:
        event = json.loads(body).get("requestPayload", {})
        obj = UploadedObject.from_event(event)
        try:
            return self.start(obj)
        except self.glue.exceptions.ClientError as error:
            return Redrive(obj.uri, None, f"Glue refused again: {error}")
