"""The dead-letter queues of a local stage, and what waits in them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def queues(session: Any, functions: Any) -> list[str]:
    """The queues the stage names as dead-letter queues or failure destinations: its
    functions' (``LocalFunctions``), its rules' targets', its queues' redrive policies'."""
    found: set[str] = set()
    for config in functions.functions.values():
        found.update(
            arn
            for arn in (config.config.on_failure, config.config.dead_letter_target)
            if arn and arn.split(":")[2] == "sqs"
        )
    events = session.client("events")
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
                if arn := target.get("DeadLetterConfig", {}).get("Arn"):
                    found.add(arn)
    sqs = session.client("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        redrive = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
        if policy := redrive.get("Attributes", {}).get("RedrivePolicy"):
            found.add(json.loads(policy)["deadLetterTargetArn"])
    return sorted(arn.split(":")[5] for arn in found)


def waiting(session: Any, names: Sequence[str]) -> int:
    """Messages waiting in the named queues."""
    sqs = session.client("sqs")
    total = 0
    for queue in names:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        total += int(attributes["ApproximateNumberOfMessages"])
    return total
