"""The API client against the sample API: pages to the end, waits out 429s for their
Retry-After, backs off on 5xx, refuses other 4xx at once, and gives up in one clear line."""

from __future__ import annotations

import time
from datetime import date

import pytest

from applications_repo.medallion.api_client import ApiClient, ApiError, RateLimitedError
from applications_repo.medallion.sample_api import ORDERS_PER_DAY, UPDATED_EVERY, orders_of
from tests.unit.medallion.conftest import RUN_DATE_VALUE

DAY_RECORDS = ORDERS_PER_DAY + ORDERS_PER_DAY // UPDATED_EVERY


def client(api, **options) -> tuple[ApiClient, list[float]]:
    waits: list[float] = []
    made = ApiClient(
        api.url, api.api_key, sleep=waits.append, jitter=lambda low, high: high, **options
    )
    return made, waits


def all_records(made: ApiClient) -> list[dict]:
    records, cursor = [], None
    while True:
        page = made.page(RUN_DATE_VALUE, cursor)
        records += page.records
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor


def test_the_pages_hold_every_record_of_the_date_once_in_order(api):
    made, waits = client(api, page_size=100)
    records = all_records(made)
    assert len(records) == DAY_RECORDS
    assert records == orders_of(date.fromisoformat(RUN_DATE_VALUE))
    assert waits == []
    assert [status for _, status in api.requests] == [200, 200, 200]


def test_a_429_waits_its_retry_after_then_the_page_is_fetched(api):
    api.faults.retry_after_seconds = 7
    api.inject(429, 429)
    made, waits = client(api)
    page = made.page(RUN_DATE_VALUE, None)
    assert len(page.records) == 100
    assert waits == [7.0, 7.0]
    assert made.retried == 2


def test_5xx_back_off_exponentially_up_to_the_cap(api):
    api.inject(500, 502, 503, 504)
    made, waits = client(api, attempts=5)
    made.page(RUN_DATE_VALUE, None)
    assert waits == [1.0, 2.0, 4.0, 8.0]


def test_the_backoff_is_full_jitter_below_the_exponential_bound(api):
    api.inject(503, 503, 503)
    bounds: list[tuple[float, float]] = []
    made = ApiClient(
        api.url,
        api.api_key,
        sleep=lambda seconds: None,
        jitter=lambda low, high: bounds.append((low, high)) or low,
    )
    made.page(RUN_DATE_VALUE, None)
    assert bounds == [(0, 1.0), (0, 2.0), (0, 4.0)]


def test_a_request_that_keeps_failing_gives_up_naming_the_status_and_the_attempts(api):
    api.inject(*[503] * 5)
    made, _ = client(api, attempts=3)
    with pytest.raises(
        ApiError, match=r"HTTP 503 from .*date=2025-11-03.* \(gave up after 3 attempts\)"
    ):
        made.page(RUN_DATE_VALUE, None)


def test_a_retry_after_longer_than_allowed_fails_the_attempt_at_once(api):
    api.faults.retry_after_seconds = 600
    api.inject(429)
    made, waits = client(api, max_retry_after_seconds=60)
    with pytest.raises(RateLimitedError, match="Retry-After 600s is longer than the 60s"):
        made.page(RUN_DATE_VALUE, None)
    assert waits == []


def test_a_wrong_key_is_refused_without_retrying(api):
    made = ApiClient(api.url, "wrong", sleep=lambda seconds: pytest.fail("no retry"))
    with pytest.raises(ApiError, match=r"HTTP 401 .*missing or wrong x-api-key"):
        made.page(RUN_DATE_VALUE, None)
    assert len(api.requests) == 1


def test_a_rate_limited_client_waits_in_real_time_and_gets_every_page(api):
    api.faults.requests_per_second = 2
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    made = ApiClient(api.url, api.api_key, page_size=60, sleep=sleep)
    assert len(all_records(made)) == DAY_RECORDS
    assert 429 in [status for _, status in api.requests]
    assert waits and all(wait == api.faults.retry_after_seconds for wait in waits)
