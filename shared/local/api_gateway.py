"""What the local API Gateway reads of a deployed REST API (its routes, API keys and
throttles) and how it matches, throttles and fills in templates, as API Gateway does."""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LAMBDA_URI = re.compile(r":lambda:path/[^/]+/functions/(?P<arn>.+)/invocations$")
CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z.]+)")


@dataclass
class Route:
    """One method of one resource, and what it integrates with."""

    resource_id: str
    path: str
    method: str
    authorization: str
    api_key_required: bool
    integration_type: str
    function_arn: str | None


class TokenBucket:
    """API Gateway's throttling: ``rate`` requests a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.capacity = rate, max(1, burst)
        self.tokens = float(self.capacity)
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            moment = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (moment - self.at) * self.rate)
            self.at = moment
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    source_ip: str = "127.0.0.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def routes(client: Any, api_id: str) -> list[Route]:
    routes = []
    paginator = client.get_paginator("get_resources")
    for page in paginator.paginate(restApiId=api_id):
        for resource in page.get("items", []):
            for verb in resource.get("resourceMethods") or {}:
                method = client.get_method(
                    restApiId=api_id, resourceId=resource["id"], httpMethod=verb
                )
                integration = method.get("methodIntegration") or {}
                match = LAMBDA_URI.search(integration.get("uri") or "")
                routes.append(
                    Route(
                        resource_id=resource["id"],
                        path=resource["path"],
                        method=verb,
                        authorization=method.get("authorizationType", "NONE"),
                        api_key_required=bool(method.get("apiKeyRequired")),
                        integration_type=integration.get("type", "NONE"),
                        function_arn=match["arn"] if match else None,
                    )
                )
    return routes


def stage_buckets(stage: Mapping[str, Any]) -> list[tuple[str | None, TokenBucket]]:
    settings = (stage.get("methodSettings") or {}).get("*/*")
    if not settings or "throttlingRateLimit" not in settings:
        return []
    rate, burst = settings["throttlingRateLimit"], settings.get("throttlingBurstLimit", 1)
    return [(None, TokenBucket(float(rate), int(burst)))]


def plan_buckets(client: Any, api_id: str, stage: str) -> list[tuple[str | None, TokenBucket]]:
    """A usage plan's throttle applies to each of its keys apart (``None``: every caller,
    when the plan has no keys)."""
    buckets: list[tuple[str | None, TokenBucket]] = []
    for plan in client.get_usage_plans().get("items", []):
        if not any(s["apiId"] == api_id and s["stage"] == stage for s in plan["apiStages"]):
            continue
        throttle = plan.get("throttle") or {}
        if "rateLimit" not in throttle:
            continue
        keys = [
            client.get_api_key(apiKey=k["id"], includeValue=True)["value"]
            for k in client.get_usage_plan_keys(usagePlanId=plan["id"]).get("items", [])
        ] or [None]
        buckets += [
            (key, TokenBucket(float(throttle["rateLimit"]), int(throttle.get("burstLimit", 1))))
            for key in keys
        ]
    return buckets


def stage_keys(client: Any, api_id: str, stage: str) -> set[str]:
    """The values of the enabled API keys of the usage plans of the stage."""
    values = set()
    for plan in client.get_usage_plans().get("items", []):
        if not any(s["apiId"] == api_id and s["stage"] == stage for s in plan["apiStages"]):
            continue
        for entry in client.get_usage_plan_keys(usagePlanId=plan["id"]).get("items", []):
            key = client.get_api_key(apiKey=entry["id"], includeValue=True)
            if key.get("enabled"):
                values.add(key["value"])
    return values


def match(template: str, path: str) -> dict[str, str] | None:
    """The path parameters when ``path`` is one of ``template``'s, else None."""
    wanted = [p for p in template.split("/") if p]
    given = [p for p in path.split("/") if p]
    parameters: dict[str, str] = {}
    for index, part in enumerate(wanted):
        if part.startswith("{") and part.endswith("+}"):
            if index >= len(given):
                return None
            parameters[part[1:-2]] = "/".join(given[index:])
            return parameters
        if index >= len(given):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = given[index]
        elif part != given[index]:
            return None
    return parameters if len(given) == len(wanted) else None


def specificity(route: Route) -> int:
    """Literal parts outrank parameters, which outrank a greedy ``{proxy+}``; a method
    outranks ``ANY``."""
    score = 0
    for part in (p for p in route.path.split("/") if p):
        score += 1 if part.endswith("+}") else 10 if part.startswith("{") else 100
    return score * 2 + (route.method != "ANY")


def event_body(request: Request) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    try:
        return request.body.decode(), False
    except UnicodeDecodeError:
        return base64.b64encode(request.body).decode(), True


def parameter(value: str, request: Request) -> str:
    """A gateway response header's value: a quoted literal, or a request header."""
    if value.startswith("'") and value.endswith("'"):
        return value[1:-1]
    if value.startswith("method.request.header."):
        return request.headers.get(value.removeprefix("method.request.header.").lower(), "")
    return value


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``$context.x`` of an access log format or a gateway response template, filled in
    ("-" where the request has no such value)."""
    return CONTEXT_VARIABLE.sub(
        lambda m: (
            str(values.get(m.group(1), "-")).replace('"', '\\"')
            if m.group(1) != "error.messageString"
            else str(values.get(m.group(1), '""'))
        ),
        template,
    )
