"""Reading what the stage holds, for the chaos run's audits: objects, the rows of Parquet and
JSON-lines outputs, the messages waiting in dead-letter queues."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

PEEK_SECONDS = 60
"""Messages read from a queue are hidden this long, so that each is read once, then shown."""


def keys(s3: Any, bucket: str, prefix: str = "") -> Iterator[str]:
    """Every key under ``prefix``."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError:
        return False
    return True


def parquet_values(s3: Any, bucket: str, names: Iterable[str], column: str) -> Counter[Any]:
    """How many times each value of ``column`` occurs in the Parquet objects ``names``."""
    import pyarrow.parquet as pq  # noqa: PLC0415 (pyarrow loads for the audit only)

    found: Counter[Any] = Counter()
    for name in names:
        body = s3.get_object(Bucket=bucket, Key=name)["Body"].read()
        found.update(pq.read_table(io.BytesIO(body), columns=[column]).column(column).to_pylist())
    return found


def json_lines_values(s3: Any, bucket: str, names: Iterable[str], field: str) -> Counter[Any]:
    """How many times each value of ``field`` occurs in the JSON-lines objects ``names``."""
    found: Counter[Any] = Counter()
    for name in names:
        text = s3.get_object(Bucket=bucket, Key=name)["Body"].read().decode()
        found.update(json.loads(line).get(field) for line in text.splitlines() if line.strip())
    return found


def waiting_messages(sqs: Any, queue: str) -> list[str]:
    """The bodies of every message waiting in ``queue`` (left there, visible again)."""
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies, handles = [], []
    while received := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=PEEK_SECONDS
    ).get("Messages", []):
        bodies += [m["Body"] for m in received]
        handles += [m["ReceiptHandle"] for m in received]
    for handle in handles:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return bodies


def duplicates(values: Counter[Any]) -> list[Any]:
    """The values seen more than once."""
    return [value for value, count in values.items() if count > 1]


def redrive_waiting(session: Any, queues: Iterable[str], command: str) -> list[str]:
    """Re-drive each of ``queues`` that holds messages (``shared.redrive``); the commands an
    operator types for it (``command`` followed by the queue's name)."""
    from shared.redrive import redrive  # noqa: PLC0415

    sqs, ran = session.client("sqs"), []
    for queue in queues:
        if waiting_messages(sqs, queue):
            list(redrive(session, queue))
            ran.append(f"{command} {queue}")
    return ran


def waiting_in(session: Any, queues: Iterable[str]) -> list[str]:
    """The bodies of the messages waiting in every one of ``queues``."""
    sqs = session.client("sqs")
    return [body for queue in queues for body in waiting_messages(sqs, queue)]
