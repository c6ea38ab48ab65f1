"""EventBridge and S3's event sources, on this machine: events from the local AWS matched
against the deployed rules by their real ``EventPattern`` (moto's matcher: prefix, suffix,
anything-but, numeric, exists, wildcard, ``$or``) and delivered to the rules' targets.

Where moto itself would need Docker or has no delivery, the runtime takes over through moto's
own hooks, so that whoever writes (a handler, a test, ``aws s3 cp``) the same thing happens:
- a bucket with EventBridge notifications sends "Object Created"/"Object Deleted" events as S3
  does (keys URL-encoded, version ids, ``reason``); moto's own version of them is replaced,
  and its tag and ACL events, which it raises on every PutObject, are not sent;
- ``PutEvents`` reaches every target type (moto alone delivers to queues and logs only);
- a bucket's Lambda notifications invoke the function asynchronously, and its SQS and SNS
  notifications (moto's own) carry keys encoded as S3 encodes them (``a/b c`` as ``a/b+c``);
- the local Glue executor publishes each run's "Glue Job State Change".
A Lambda target is invoked only when the function's resource policy lets
``events.amazonaws.com`` invoke it for that rule, as in AWS; otherwise the event goes to the
target's dead-letter queue with the error. Under a chaos run (``shared.local.faults``) an
event is delivered twice, late, or behind the events published after it, as EventBridge's
at-least-once delivery allows.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote_plus, unquote_plus

from moto.events import models as events_models
from moto.events.models import EventPattern
from moto.s3 import notifications as s3_notifications

from shared.local import faults
from shared.local.aws import Patches
from shared.local.clock import LocalClock
from shared.local.events import s3_event
from shared.local.functions import LocalFunctions
from shared.local.targets import Targets, UnsupportedTargetError, service_of

EVENTS_PRINCIPAL = "events.amazonaws.com"
S3_PRINCIPAL = "s3.amazonaws.com"
S3_EVENTS_SENT = ("s3:ObjectCreated:", "s3:ObjectRemoved:")
DEFAULT_BUS = "default"
LATE_SECONDS = (30, 300)
"""An event delivered late arrives between half a minute and five minutes (local clock)."""
TWICE_AFTER_SECONDS = (1, 60)
"""The second delivery of an event delivered twice follows the first after this long."""
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")

Progress = Callable[[str], None]


@dataclass
class RuleDelivery:
    """One event a rule matched, delivered (or not) to one of its targets."""

    rule: str
    target: str
    event: dict[str, Any]
    delivered: bool
    error: str = ""


class LocalEventBridge:
    """The default event bus of the local AWS, with S3's and Glue's events on it."""

    def __init__(
        self,
        session: Any,
        functions: LocalFunctions,
        targets: Targets,
        *,
        account: str,
        region: str,
        clock: LocalClock | None = None,
        progress: Progress = lambda line: None,
    ) -> None:
        self.events = session.client("events")
        self.clock = clock or LocalClock()
        self.functions, self.targets = functions, targets
        self.account, self.region, self.progress = account, region, progress
        self.deliveries: list[RuleDelivery] = []
        self.published: list[dict[str, Any]] = []
        self._queue: queue.Queue[tuple[dict[str, Any], str | None] | None] = queue.Queue()
        self._busy = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Thread] = []
        self._patches = Patches()

    def start(self) -> LocalEventBridge:
        bus = self
        self._patches.replace(s3_notifications, "_send_event_bridge_message", self._from_s3)
        self._patches.replace(s3_notifications, "_invoke_awslambda", self._s3_to_function)
        moto_record = s3_notifications._get_s3_event

        def s3_record(event_name: str, bucket: Any, key: Any, notification_id: str) -> Any:
            # as S3 writes it: the key URL-encoded with "/" kept, the version id when versioned
            event = moto_record(event_name, bucket, key, notification_id)
            found = event["Records"][0]["s3"]["object"]
            found["key"] = quote_plus(key.name, safe="/")
            version = getattr(key, "version_id", None)
            if version not in (None, "null"):
                found["versionId"] = version
            return event

        self._patches.replace(s3_notifications, "_get_s3_event", s3_record)

        def send_to_targets(rule: Any, event: Any, transform_input: bool = True) -> None:
            if rule.event_pattern.matches_event(event):
                bus.publish(dict(event), rule=rule.name)

        self._patches.replace(events_models.Rule, "send_to_targets", send_to_targets)
        self._thread = threading.Thread(target=self._loop, name="local-eventbridge", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for timer in list(self._timers):
            timer.join()
        self._queue.put(None)
        if self._thread:
            self._thread.join()
        self._patches.restore()

    def idle(self) -> bool:
        with self._lock:
            return self._busy == 0

    def publish(self, event: dict[str, Any], rule: str | None = None) -> None:
        """Put ``event`` on the bus (for ``rule`` only: it matched already)."""
        with self._lock:
            self._busy += 1
        if self._misdelivered(event, rule):
            with self._lock:
                self._busy -= 1
            return
        self._queue.put((event, rule))

    def fire(self, rule_name: str) -> None:
        """A schedule rule's "Scheduled Event", now."""
        arn = self.events.describe_rule(Name=rule_name)["Arn"]
        event = {
            "version": "0",
            "id": "scheduled",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "region": self.region,
            "resources": [arn],
            "detail": {},
        }
        self.publish(event, rule=rule_name)

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            event, only = item
            try:
                self._dispatch(event, only)
            except Exception as error:  # the runtime's own failure: shown, never swallowed
                self.progress(f"local EventBridge: {type(error).__name__}: {error}")
            finally:
                with self._lock:
                    self._busy -= 1

    def _misdelivered(self, event: dict[str, Any], only: str | None) -> bool:
        """Under a chaos run, decided as the event is published: put it back late or behind
        the others (``True``: not delivered now), or deliver it now and once more a little
        later."""
        key = faults.stable_key(event, only)
        if faults.decide(faults.Fault.EVENT_LATE, key):
            self._replay(event, only, faults.draw(faults.Fault.EVENT_LATE, key, *LATE_SECONDS))
            return True
        if faults.decide(faults.Fault.EVENT_REORDERED, key):
            self._replay(event, only, 0)
            return True
        if faults.decide(faults.Fault.EVENT_TWICE, key):
            delay = faults.draw(faults.Fault.EVENT_TWICE, key, *TWICE_AFTER_SECONDS)
            self._replay(event, only, delay)
        return False

    def _replay(self, event: dict[str, Any], only: str | None, aws_seconds: float) -> None:
        """Publish ``event`` again after ``aws_seconds``, past the fault decisions (behind
        every event queued meanwhile)."""
        with self._lock:
            self._busy += 1

        def later() -> None:
            time.sleep(self.clock.seconds(aws_seconds))
            self._queue.put((event, only))

        timer = threading.Thread(target=later, name="eventbridge-replay", daemon=True)
        self._timers.append(timer)
        timer.start()

    def _dispatch(self, event: dict[str, Any], only: str | None) -> None:
        self.published.append(event)
        for rule in self._rules():
            if only is not None and rule["Name"] != only:
                continue
            if only is None and not _matches(rule, event):
                continue
            targets = self.events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            for target in targets:
                self._deliver(rule, target, event)

    def _rules(self) -> list[dict[str, Any]]:
        pages = self.events.get_paginator("list_rules").paginate(EventBusName=DEFAULT_BUS)
        return [r for page in pages for r in page["Rules"] if r.get("State") == "ENABLED"]

    def _deliver(self, rule: dict[str, Any], target: dict[str, Any], event: dict[str, Any]) -> None:
        arn = target["Arn"]
        payload = _target_input(target, event, rule)
        error = ""
        try:
            if service_of(arn) == "lambda":
                if not self.functions.allows(arn, EVENTS_PRINCIPAL, rule["Arn"]):
                    raise PermissionError(
                        f"{arn} does not let {EVENTS_PRINCIPAL} invoke it for {rule['Arn']}"
                    )
                self.functions.invoke_async(arn, payload, source=f"rule {rule['Name']}")
            else:
                self.targets.send(arn, payload)
        except (PermissionError, UnsupportedTargetError) as failure:
            error = str(failure)
            self.progress(f"rule {rule['Name']}: not delivered: {error}")
            if dead_letter := target.get("DeadLetterConfig", {}).get("Arn"):
                attributes = {
                    "RULE_ARN": rule["Arn"],
                    "TARGET_ARN": arn,
                    "ERROR_MESSAGE": error[:256],
                }
                self.targets.send(dead_letter, event, attributes)
        self.deliveries.append(RuleDelivery(rule["Name"], arn, event, not error, error))

    def _from_s3(self, account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        if not event_name.startswith(S3_EVENTS_SENT):
            return  # moto raises tag and ACL events on every PutObject; S3 does not
        self.publish(
            s3_event(
                event_name=event_name,
                bucket=bucket.name,
                key=key.name,
                size=getattr(key, "size", 0),
                version_id=getattr(key, "version_id", None),
                etag=getattr(key, "etag", "").strip('"'),
                account=account_id,
                region=bucket.region_name,
            )
        )

    def _s3_to_function(self, account_id: str, event_body: Any, fn_arn: str, region: str) -> None:
        record = event_body["Records"][0]["s3"]
        bucket_arn = record["bucket"]["arn"]
        if not self.functions.allows(fn_arn, S3_PRINCIPAL, bucket_arn):
            key = unquote_plus(record["object"]["key"])
            self.progress(f"s3://{record['bucket']['name']}/{key}: {fn_arn} refuses S3")
            return
        self.functions.invoke_async(fn_arn, event_body, source="s3 notification")


def _matches(rule: dict[str, Any], event: dict[str, Any]) -> bool:
    pattern = rule.get("EventPattern")
    return bool(pattern) and EventPattern.load(pattern).matches_event(cast(Any, event))


def _target_input(target: dict[str, Any], event: dict[str, Any], rule: dict[str, Any]) -> Any:
    """What a target receives: the event, or its ``Input``/``InputPath``/``InputTransformer``."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return _at_path(event, target["InputPath"])
    if transformer := target.get("InputTransformer"):
        return _transformed(transformer, event, rule)
    return event


def _at_path(event: Any, path: str) -> Any:
    """The value at an EventBridge JSON path (``$.detail.object.key``, ``$.detail-type``)."""
    value = event
    for part in [p for p in path.removeprefix("$").split(".") if p]:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _transformed(transformer: dict[str, Any], event: dict[str, Any], rule: dict[str, Any]) -> Any:
    """An ``InputTemplate`` with its ``<name>`` placeholders filled as EventBridge fills them:
    inside quotes as text, elsewhere as JSON."""
    values = {
        name: _at_path(event, path) for name, path in transformer.get("InputPathsMap", {}).items()
    }
    values |= {
        "aws.events.rule-arn": rule["Arn"],
        "aws.events.rule-name": rule["Name"],
        "aws.events.event": event,
        "aws.events.event.json": event,
    }

    template = transformer["InputTemplate"]
    out, inside, index = [], False, 0
    while index < len(template):
        char = template[index]
        match = _PLACEHOLDER.match(template, index) if char == "<" else None
        if match and match.group(1) in values:
            value = values[match.group(1)]
            if inside:
                text = value if isinstance(value, str) else json.dumps(value)
                out.append(json.dumps(text)[1:-1])
            else:
                out.append(json.dumps(value))
            index = match.end()
            continue
        if char == '"' and (index == 0 or template[index - 1] != "\\"):
            inside = not inside
        out.append(char)
        index += 1
    text = "".join(out)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
