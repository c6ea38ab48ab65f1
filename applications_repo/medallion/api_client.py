"""The orders API, read page by page: 429s wait ``Retry-After``, 5xx and network errors back
off exponentially with full jitter, both up to a number of attempts; the waits pass on the
stage's clock (``shared.clock``). Standard library only (the ingestion function ships it)."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from applications_repo.medallion.contract import NEXT_CURSOR_FIELD, RECORDS_FIELD
from shared import clock

ORDERS_PATH = "/v1/orders"
API_KEY_HEADER = "x-api-key"
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 20.0
TOO_MANY_REQUESTS = 429


class ApiError(RuntimeError):
    """The API refused or kept failing a request; the message says which, in one line."""


class RateLimitedError(ApiError):
    """The API asked for a longer wait than the function may spend."""


@dataclass(frozen=True)
class Page:
    """One page of records, the cursor of the next (``None``: the last) and its size."""

    records: list[dict[str, Any]]
    next_cursor: str | None
    body: bytes


@dataclass
class ApiClient:
    """Reads the orders of one date from ``url`` with ``api_key``."""

    url: str
    api_key: str
    page_size: int = 100
    attempts: int = 5
    timeout_seconds: float = 10.0
    max_retry_after_seconds: float = 60.0
    sleep: Callable[[float], None] = clock.sleep
    jitter: Callable[[float, float], float] = random.uniform
    waited_seconds: float = 0.0
    retried: int = 0

    def page(self, run_date: str, cursor: str | None) -> Page:
        """The page at ``cursor`` (the first when ``None``).

        Raises:
            RateLimitedError: a ``Retry-After`` above ``max_retry_after_seconds``.
            ApiError: a 4xx other than 429, a malformed page, or the attempts used up.
        """
        query = {"date": run_date, "limit": str(self.page_size)}
        if cursor:
            query["cursor"] = cursor
        address = f"{self.url.rstrip('/')}{ORDERS_PATH}?{urlencode(query)}"
        problem = ""
        for attempt in range(1, self.attempts + 1):
            try:
                body = self._get(address)
            except urllib.error.HTTPError as error:
                problem = f"HTTP {error.code} from {address}"
                if error.code == TOO_MANY_REQUESTS:
                    wait = retry_after(error.headers.get("Retry-After"))
                    if wait > self.max_retry_after_seconds:
                        raise RateLimitedError(
                            f"{problem}: Retry-After {wait:.0f}s is longer than the "
                            f"{self.max_retry_after_seconds:.0f}s this run may wait"
                        ) from None
                elif error.code < 500:
                    raise ApiError(f"{problem}: {_reason(error)}") from None
                else:
                    wait = self._backoff(attempt)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                problem = f"{address}: {getattr(error, 'reason', error)}"
                wait = self._backoff(attempt)
            else:
                return _parsed(address, body)
            if attempt < self.attempts:
                self.retried += 1
                self.waited_seconds += wait
                self.sleep(wait)
        raise ApiError(f"{problem} (gave up after {self.attempts} attempts)")

    def _get(self, address: str) -> bytes:
        request = urllib.request.Request(
            address, headers={API_KEY_HEADER: self.api_key, "Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
            return bytes(response.read())

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to the exponential bound of this attempt."""
        return self.jitter(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))


def retry_after(value: str | None) -> float:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return BACKOFF_BASE_SECONDS
    try:
        return max(0.0, float(value))
    except ValueError:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())


def _parsed(address: str, body: bytes) -> Page:
    try:
        document = json.loads(body)
        records, cursor = document[RECORDS_FIELD], document.get(NEXT_CURSOR_FIELD)
    except (ValueError, KeyError, TypeError) as error:
        raise ApiError(
            f"{address}: not a page of records ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(records, list):
        raise ApiError(f"{address}: {RECORDS_FIELD!r} is not a list")
    return Page(records, str(cursor) if cursor is not None else None, body)


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read()).get("message", error.reason))
    except ValueError:
        return str(error.reason)
