"""A sample orders API that stands in for the external one on 127.0.0.1: the local stage
serves it (``Definition.local_services``) and the tests drive it.

``GET /v1/orders?date=YYYY-MM-DD&limit=N[&cursor=C]`` with the ``x-api-key`` header answers
``{"data": [...], "next_cursor": C | null}``: the date's orders, generated from the date (the
same every time), a few of them broken the ways real feeds are (a missing customer, a
negative amount, an unparseable time, a made-up currency) and a few updated twice. It
rate-limits (429 with ``Retry-After``), fails on request (``inject``), and under a chaos run
(``shared.local.faults``) answers bursts of 429s and 5xx at seeded points.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from applications_repo.medallion.api_client import API_KEY_HEADER, ORDERS_PATH
from applications_repo.medallion.contract import NEXT_CURSOR_FIELD, RECORDS_FIELD, STATUSES
from shared.local import faults as chaos

ORDERS_PER_DAY = 230
CURRENCIES = ("USD", "EUR", "GBP")
BROKEN_EVERY = {"customer_id": 37, "amount": 53, "created_at": 71, "currency": 97}
"""Every n-th order of a day has this field broken."""
UPDATED_EVERY = 41
"""Every n-th order appears once more, updated an hour later (a duplicate of its key)."""
BURST = (2, 4)
"""A chaos run's bursts: this many failed answers in a row to one page."""
SERVER_ERRORS = (
    HTTPStatus.INTERNAL_SERVER_ERROR,
    HTTPStatus.BAD_GATEWAY,
    HTTPStatus.SERVICE_UNAVAILABLE,
)


def orders_of(day: date) -> list[dict[str, Any]]:
    """The orders the API holds for ``day``, in the order it pages them."""
    rng = random.Random(day.isoformat())
    start = datetime(day.year, day.month, day.day)
    orders: list[dict[str, Any]] = []
    for n in range(1, ORDERS_PER_DAY + 1):
        created = start + timedelta(seconds=rng.randrange(86_400))
        order: dict[str, Any] = {
            "order_id": f"ord-{day:%Y%m%d}-{n:05d}",
            "customer_id": f"cus-{rng.randrange(1, 5000):05d}",
            "amount": f"{rng.randrange(100, 100_000) / 100:.2f}",
            "currency": rng.choice(CURRENCIES),
            "status": rng.choice(STATUSES),
            "created_at": f"{created:%Y-%m-%dT%H:%M:%S}Z",
            "updated_at": f"{created:%Y-%m-%dT%H:%M:%S}Z",
        }
        if n % 10 == 0:
            order["note"] = 'gift wrap, "fragile" — ünïcode'
        for name, every in BROKEN_EVERY.items():
            if n % every == 0:
                order[name] = {
                    "customer_id": None,
                    "amount": "-12.50",
                    "created_at": "yesterday",
                    "currency": "euro",
                }[name]
        orders.append(order)
        if n % UPDATED_EVERY == 0:
            later = created + timedelta(hours=1)
            orders.append({**order, "status": "paid", "updated_at": f"{later:%Y-%m-%dT%H:%M:%S}Z"})
    return orders


@dataclass
class Faults:
    """What the API does wrong, on request."""

    pending: deque[int] = field(default_factory=deque)
    """Statuses the next requests get, one each (429 comes with ``Retry-After``)."""
    retry_after_seconds: int = 1
    requests_per_second: int | None = None
    """More requests than this within a second get 429."""
    empty_dates: set[str] = field(default_factory=set)
    """Dates with no orders."""
    failing_dates: set[str] = field(default_factory=set)
    """Dates whose every request gets 503."""
    broken_dates: set[str] = field(default_factory=set)
    """Dates whose every order lacks its customer."""
    page_faults: dict[tuple[str, str], deque[int]] = field(default_factory=dict)
    """``(date, cursor)``: statuses the next requests of that page get, one each (the first
    page's cursor is ``""``)."""


class SampleApi:
    """The API's server, on a free port of 127.0.0.1, in a thread of this process."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key or secrets.token_urlsafe(24)
        self.faults = Faults()
        self.requests: list[tuple[str, int]] = []
        """``(path with query, status)`` of every request answered."""
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def connection(self) -> dict[str, str]:
        """What the ingestion reads from its secret."""
        return {"url": self.url, "api_key": self.api_key}

    def start(self) -> SampleApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def inject(self, *statuses: int) -> None:
        """The next requests fail with these statuses, one each."""
        with self._lock:
            self.faults.pending.extend(statuses)

    def fail_page(self, run_date: str, cursor: str, *statuses: int) -> None:
        """The next requests of one page fail with these statuses, one each."""
        with self._lock:
            self.faults.page_faults.setdefault((run_date, cursor), deque()).extend(statuses)

    def _chaos_burst(self, page: tuple[str, str]) -> None:
        if statuses := _chaos_statuses(page):
            self.faults.page_faults.setdefault(page, deque()).extend(statuses)

    def answer(self, path: str, key: str | None) -> tuple[int, dict[str, str], Any]:
        """The status, headers and JSON body of one request."""
        url = urlparse(path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        page = (query.get("date", ""), query.get("cursor", ""))
        with self._lock:
            now = time.monotonic()
            while self._recent and now - self._recent[0] > 1:
                self._recent.popleft()
            self._recent.append(now)
            limit = self.faults.requests_per_second
            fault = self.faults.pending.popleft() if self.faults.pending else None
            if fault is None and not self.faults.page_faults.get(page):
                self._chaos_burst(page)
            if fault is None and self.faults.page_faults.get(page):
                fault = self.faults.page_faults[page].popleft()
            if fault is None and page[0] in self.faults.failing_dates:
                fault = HTTPStatus.SERVICE_UNAVAILABLE
            if fault is None and limit is not None and len(self._recent) > limit:
                fault = HTTPStatus.TOO_MANY_REQUESTS
        if fault is not None:
            headers = {}
            if fault == HTTPStatus.TOO_MANY_REQUESTS:
                headers["Retry-After"] = str(self.faults.retry_after_seconds)
            return fault, headers, {"message": HTTPStatus(fault).phrase}
        if key != self.api_key:
            return HTTPStatus.UNAUTHORIZED, {}, {"message": "missing or wrong x-api-key"}
        if url.path != ORDERS_PATH:
            return HTTPStatus.NOT_FOUND, {}, {"message": f"no such resource: {url.path}"}
        try:
            day = date.fromisoformat(query["date"])
            limit_records = int(query.get("limit", "100"))
            offset = int(query.get("cursor") or 0)
        except (KeyError, ValueError) as error:
            return HTTPStatus.BAD_REQUEST, {}, {"message": f"bad query: {error}"}
        orders = [] if day.isoformat() in self.faults.empty_dates else orders_of(day)
        if day.isoformat() in self.faults.broken_dates:
            orders = [{**order, "customer_id": None} for order in orders]
        records = orders[offset : offset + limit_records]
        following = offset + limit_records
        next_cursor = str(following) if following < len(orders) else None
        return HTTPStatus.OK, {}, {RECORDS_FIELD: records, NEXT_CURSOR_FIELD: next_cursor}


def _chaos_statuses(page: tuple[str, str]) -> list[int]:
    """Under a chaos run, the burst of failures that starts at this request of a page."""
    key = f"orders {page[0]} {page[1]}"
    if chaos.decide(chaos.Fault.API_THROTTLED, key):
        return [HTTPStatus.TOO_MANY_REQUESTS] * chaos.draw(chaos.Fault.API_THROTTLED, key, *BURST)
    if chaos.decide(chaos.Fault.API_FAILING, key):
        length = chaos.draw(chaos.Fault.API_FAILING, key, *BURST)
        first = chaos.draw(chaos.Fault.API_FAILING, f"{key} status", 0, len(SERVER_ERRORS) - 1)
        return [SERVER_ERRORS[(first + n) % len(SERVER_ERRORS)] for n in range(length)]
    return []


def _handler(api: SampleApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = api.answer(self.path, self.headers.get(API_KEY_HEADER))
            data = json.dumps(body).encode()
            with api._lock:
                api.requests.append((self.path, int(status)))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the requests are in ``api.requests``."""

    return Handler


def start() -> SampleApi:
    """The local stage's stand-in (``LocalService.start``)."""
    return SampleApi().start()
