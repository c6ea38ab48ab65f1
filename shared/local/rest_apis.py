"""API Gateway REST APIs, on this machine: each deployed stage of each API of the local AWS
served on 127.0.0.1, its requests routed as API Gateway routes them.

- **Routing**: the API's resources and methods as deployed (literal path parts before
  ``{param}``, ``{proxy+}`` greedy, ``ANY``); no match is 403 ``Missing Authentication Token``.
- **Access**: a method with ``ApiKeyRequired`` needs the ``x-api-key`` of an enabled key of a
  usage plan of the stage (else 403 ``Forbidden``); ``AWS_IAM`` needs a SigV4
  ``Authorization`` header (its signature is not checked here).
- **Throttling**: token buckets of the stage's method settings and of its usage plans
  (rate and burst), 429 ``Too Many Requests`` past them; bodies over 10 MB are 413.
- **Integration**: ``AWS_PROXY`` to a Lambda function, with the REST API's proxy event
  (version 1.0), if the function's resource policy lets API Gateway invoke it for the
  method's ARN; a function error or a malformed result is 502, as in AWS.
- **Gateway responses**: API Gateway's own errors use the API's gateway responses (the type,
  else ``DEFAULT_4XX``/``DEFAULT_5XX``), their templates' ``$context`` filled in.
- **Access logs**: one line per request in the stage's access log group, in its format.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from shared.local.api_gateway import (
    Request,
    Route,
    TokenBucket,
    event_body,
    fill,
    match,
    parameter,
    plan_buckets,
    routes,
    specificity,
    stage_buckets,
    stage_keys,
)
from shared.local.functions import FunctionError, LocalFunctions

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's payload limit."""
SERVICE = "apigateway.amazonaws.com"
ERRORS = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "REQUEST_TOO_LARGE": (413, "Request Too Large"),
    "DEFAULT_5XX": (502, "Internal server error"),
    "INTEGRATION_FAILURE": (500, "Internal server error"),
}
"""The errors API Gateway answers itself: response type -> (status, message)."""
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


@dataclass
class Reply:
    """What the API answers one request."""

    status: int
    headers: dict[str, str]
    body: bytes


class LocalRestApi:
    """One stage of one REST API: routes, access, throttling, integration, logs."""

    def __init__(
        self,
        session: Any,
        functions: LocalFunctions,
        api: Mapping[str, Any],
        stage: Mapping[str, Any],
        *,
        account: str,
        region: str,
        progress: Callable[[str], None],
    ) -> None:
        self.session, self.functions, self.progress = session, functions, progress
        self.account, self.region = account, region
        self.api_id, self.name, self.stage = api["id"], api["name"], stage["stageName"]
        client = session.client("apigateway")
        self.routes = routes(client, self.api_id)
        self.gateway_responses = {
            r["responseType"]: r
            for r in client.get_gateway_responses(restApiId=self.api_id).get("items", [])
        }
        self.buckets = stage_buckets(stage) + plan_buckets(client, self.api_id, self.stage)
        self.keys = stage_keys(client, self.api_id, self.stage)
        self.access_log = stage.get("accessLogSettings") or {}
        self._log_lock = threading.Lock()
        self._log_stream: str | None = None

    def handle(self, request: Request) -> Reply:
        """Answer one request (its path without the stage)."""
        started = time.monotonic()
        context: dict[str, Any] = {
            "requestId": request.request_id,
            "httpMethod": request.method,
            "path": f"/{self.stage}{request.path}",
            "stage": self.stage,
            "protocol": "HTTP/1.1",
            "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": request.headers.get("user-agent", ""),
            "resourcePath": "-",
        }
        reply = self._answer(request, context)
        context |= {
            "status": reply.status,
            "responseLength": len(reply.body),
            "responseLatency": round((time.monotonic() - started) * 1000),
        }
        self._log(context)
        return reply

    def _answer(self, request: Request, context: dict[str, Any]) -> Reply:
        if len(request.body) > MAX_BODY_BYTES:
            return self._error("REQUEST_TOO_LARGE", context, request)
        found = self._route(request.method, request.path)
        if found is None:
            return self._error("MISSING_AUTHENTICATION_TOKEN", context, request)
        route, parameters = found
        context["resourcePath"] = route.path
        refused = self._refusal(route, request, context)
        if refused:
            return self._error(refused, context, request)
        assert route.function_arn is not None
        event = self._event(request, route, parameters, context)
        try:
            result = self.functions.invoke(route.function_arn, event, source="apigateway")
        except FunctionError as error:
            self.progress(f"{self.name} {request.method} {request.path}: {error}")
            return self._error("DEFAULT_5XX", context, request)
        return self._proxy_reply(result, context, request)

    def _refusal(self, route: Route, request: Request, context: dict[str, Any]) -> str | None:
        """Why API Gateway answers the request itself (a response type), if it does."""
        signed = request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 ")
        if route.authorization == "AWS_IAM" and not signed:
            return "MISSING_AUTHENTICATION_TOKEN"
        key = request.headers.get("x-api-key")
        if route.api_key_required and key not in self.keys:
            return "INVALID_API_KEY"
        context["identity.apiKey"] = key or ""
        if not all(bucket.take() for bucket in self._buckets_for(key)):
            return "THROTTLED"
        if route.integration_type != "AWS_PROXY" or route.function_arn is None:
            self.progress(f"{self.name}: {route.integration_type} integrations are not emulated")
            return "INTEGRATION_FAILURE"
        source = self._method_arn(route, request.path)
        if not self.functions.allows(route.function_arn, SERVICE, source):
            self.progress(f"{self.name}: {route.function_arn} does not allow {source}")
            return "INTEGRATION_FAILURE"
        return None

    def _buckets_for(self, key: str | None) -> list[TokenBucket]:
        return [bucket for owner, bucket in self.buckets if owner in (None, key)]

    def _route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        best: tuple[int, Route, dict[str, str]] | None = None
        for route in self.routes:
            if route.method not in (method, "ANY"):
                continue
            parameters = match(route.path, path)
            if parameters is None:
                continue
            score = specificity(route)
            if best is None or score > best[0]:
                best = (score, route, parameters)
        return (best[1], best[2]) if best else None

    def _method_arn(self, route: Route, path: str) -> str:
        return (
            f"arn:aws:execute-api:{self.region}:{self.account}:{self.api_id}/{self.stage}/"
            f"{route.method if route.method != 'ANY' else '*'}{path}"
        )

    def _event(
        self,
        request: Request,
        route: Route,
        parameters: dict[str, str],
        context: Mapping[str, Any],
    ) -> dict[str, Any]:
        query = parse_qs(request.query, keep_blank_values=True)
        text, encoded = event_body(request)
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": dict(request.headers) or None,
            "multiValueHeaders": {k: [v] for k, v in request.headers.items()} or None,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": self.account,
                "apiId": self.api_id,
                "resourceId": route.resource_id,
                "resourcePath": route.path,
                "httpMethod": request.method,
                "path": context["path"],
                "stage": self.stage,
                "requestId": request.request_id,
                "requestTimeEpoch": int(time.time() * 1000),
                "protocol": "HTTP/1.1",
                "domainName": request.headers.get("host", "127.0.0.1"),
                "identity": {
                    "sourceIp": request.source_ip,
                    "userAgent": request.headers.get("user-agent"),
                    "apiKey": request.headers.get("x-api-key"),
                },
            },
            "body": text,
            "isBase64Encoded": encoded,
        }

    def _proxy_reply(self, result: Any, context: dict[str, Any], request: Request) -> Reply:
        if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int):
            self.progress(f"{self.name}: malformed Lambda proxy response {str(result)[:200]}")
            return self._error("DEFAULT_5XX", context, request)
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[str(name)] = ", ".join(str(v) for v in values)
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return Reply(result["statusCode"], headers, data)

    def _error(self, response_type: str, context: dict[str, Any], request: Request) -> Reply:
        status, message = ERRORS[response_type]
        context |= {"error.message": message, "error.responseType": response_type}
        default = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        custom = self.gateway_responses.get(response_type) or self.gateway_responses.get(default)
        if not custom:
            body = json.dumps({"message": message}).encode()
            return Reply(status, {"Content-Type": "application/json"}, body)
        templates = custom.get("responseTemplates") or {}
        content_type, template = next(
            iter(templates.items()),
            ("application/json", '{"message":$context.error.messageString}'),
        )
        values = {**context, "error.messageString": json.dumps(message)}
        headers = {"Content-Type": content_type}
        for name, value in (custom.get("responseParameters") or {}).items():
            header = name.removeprefix("gatewayresponse.header.")
            headers[header] = parameter(value, request)
        return Reply(
            int(custom.get("statusCode") or status),
            headers,
            fill(template, values).encode(),
        )

    def _log(self, context: Mapping[str, Any]) -> None:
        destination, form = self.access_log.get("destinationArn"), self.access_log.get("format")
        if not destination or not form:
            return
        group = destination.split(":log-group:")[-1].removesuffix(":*")
        logs = self.session.client("logs")
        with self._log_lock:
            if self._log_stream is None:
                self._log_stream = f"{self.api_id}-{self.stage}"
                logs.create_log_stream(logGroupName=group, logStreamName=self._log_stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=self._log_stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": fill(form, context)}],
            )


class LocalRestApis:
    """Every stage of every REST API of the local AWS, each on its own port of 127.0.0.1."""

    def __init__(
        self,
        session: Any,
        functions: LocalFunctions,
        *,
        account: str,
        region: str,
        progress: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.session, self.functions, self.progress = session, functions, progress
        self.account, self.region = account, region
        self.apis: dict[str, LocalRestApi] = {}
        self.urls: dict[str, str] = {}
        self._servers: list[ThreadingHTTPServer] = []

    def start(self) -> LocalRestApis:
        client = self.session.client("apigateway")
        for api in client.get_rest_apis().get("items", []):
            for stage in client.get_stages(restApiId=api["id"]).get("item", []):
                local = LocalRestApi(
                    self.session,
                    self.functions,
                    api,
                    stage,
                    account=self.account,
                    region=self.region,
                    progress=self.progress,
                )
                server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(local))
                server.daemon_threads = True
                threading.Thread(target=server.serve_forever, daemon=True).start()
                self._servers.append(server)
                url = f"http://127.0.0.1:{server.server_address[1]}/{local.stage}"
                self.apis[api["name"]], self.urls[api["name"]] = local, url
                self.progress(f"API {api['name']} serves {url}")
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


def _handler(api: LocalRestApi) -> type[BaseHTTPRequestHandler]:
    prefix = f"/{api.stage}"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path = unquote(parts.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Request(
                self.command,
                path.removeprefix(prefix) or "/",
                parts.query,
                headers,
                body,
                source_ip=self.client_address[0],
            )
            if path != prefix and not path.startswith(prefix + "/"):
                reply = api._error("MISSING_AUTHENTICATION_TOKEN", {}, request)
            else:
                reply = api.handle(request)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("x-amzn-RequestId", request.request_id)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        def __getattr__(self, name: str) -> Any:
            # every method reaches the API, as API Gateway answers any (``do_GET``, ...)
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
