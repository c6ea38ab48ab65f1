"""GlueMedallionIngestion against moto and the sample API: a date's pages land in bronze
under idempotent keys with a manifest; a failed attempt resumes at its checkpoint; a re-run
replaces the date; another execution's date is left alone; bad input fails in one line."""

from __future__ import annotations

import json

import pytest

from applications_repo.medallion.api_client import ApiClient, ApiError
from applications_repo.medallion.checkpoints import INGESTED, DateBusyError
from applications_repo.medallion.layers import manifest_key, page_key
from applications_repo.medallion.runtime import ingestion
from applications_repo.medallion.runtime.ingestion import (
    BadEventError,
    IngestionIncompleteError,
    ingest,
)
from tests.unit.medallion.conftest import CONFIG, INGESTION, NAMES, RUN_DATE_VALUE
from tests.unit.medallion.test_api_client import DAY_RECORDS
from tests.unit.parquet_to_json.conftest import lambda_context


def run(bronze, api, execution: str = "exec-1", **options):
    client = ApiClient(
        api.url, api.api_key, page_size=options.pop("page_size", 100), sleep=lambda s: None
    )
    return ingest(
        RUN_DATE_VALUE,
        execution,
        s3=bronze.s3,
        checkpoints=bronze.checkpoints,
        client=client,
        config=CONFIG,
        **options,
    )


def test_a_date_lands_in_bronze_as_its_pages_and_a_manifest(bronze, api):
    result = run(bronze, api)
    pages = [page_key(RUN_DATE_VALUE, n) for n in (1, 2, 3)]
    assert bronze.object_keys() == sorted([*pages, manifest_key(RUN_DATE_VALUE)])
    assert pages[0] == "raw/2025/11/03/page-00001.json"
    manifest = bronze.json(manifest_key(RUN_DATE_VALUE))
    assert manifest["pages"] == pages
    assert manifest["records"] == DAY_RECORDS == result["records"]
    assert manifest["execution"] == "exec-1"
    assert sum(len(bronze.json(p)["data"]) for p in pages) == DAY_RECORDS
    assert result | {"manifest": ""} == {
        "run_date": RUN_DATE_VALUE,
        "pages": 3,
        "records": DAY_RECORDS,
        "bytes": manifest["bytes"],
        "manifest": "",
        "has_data": True,
        "resumed": False,
        "retried_requests": 0,
    }
    assert bronze.checkpoints.get(RUN_DATE_VALUE)["status"] == INGESTED


def test_a_failed_attempt_resumes_at_its_cursor(bronze, api):
    api.fail_page(RUN_DATE_VALUE, "100", *[503] * 5)
    with pytest.raises(ApiError, match="HTTP 503"):
        run(bronze, api)
    checkpoint = bronze.checkpoints.get(RUN_DATE_VALUE)
    assert (checkpoint["pages"], checkpoint["cursor"]) == (1, "100")
    api.requests.clear()
    result = run(bronze, api)
    assert result["resumed"] is True
    assert result["records"] == DAY_RECORDS
    assert [path.split("cursor=")[-1] for path, _ in api.requests] == ["100", "200"]


def test_the_time_running_out_stops_checkpointed_and_the_retry_goes_on(bronze, api):
    budget = iter([10**9, 10**9, 0])
    with pytest.raises(IngestionIncompleteError, match="stopped after page 2"):
        run(bronze, api, remaining_ms=lambda: next(budget))
    assert run(bronze, api)["resumed"] is True
    assert bronze.json(manifest_key(RUN_DATE_VALUE))["records"] == DAY_RECORDS


def test_a_re_run_replaces_the_date_and_deletes_the_pages_it_no_longer_has(bronze, api):
    run(bronze, api, page_size=50)
    assert len([k for k in bronze.object_keys() if "page-" in k]) == 5
    result = run(bronze, api, execution="exec-2")
    assert result["pages"] == 3
    assert [k for k in bronze.object_keys() if "page-" in k] == [
        page_key(RUN_DATE_VALUE, n) for n in (1, 2, 3)
    ]
    assert bronze.json(manifest_key(RUN_DATE_VALUE))["execution"] == "exec-2"


def test_a_date_another_execution_is_ingesting_is_left_alone(bronze, api):
    api.fail_page(RUN_DATE_VALUE, "100", *[503] * 5)
    with pytest.raises(ApiError):
        run(bronze, api)
    with pytest.raises(DateBusyError, match="being ingested by execution exec-1"):
        run(bronze, api, execution="exec-2")


def test_a_date_without_records_is_ingested_as_one_empty_page(bronze, api):
    api.faults.empty_dates.add(RUN_DATE_VALUE)
    result = run(bronze, api)
    assert (result["pages"], result["records"], result["has_data"]) == (1, 0, False)


def test_the_handler_reads_the_api_from_its_secret(bronze, api):
    bronze.secrets.put_secret_value(
        SecretId=NAMES.api_secret, SecretString=json.dumps(api.connection)
    )
    ingestion._aws.cache_clear()
    ingestion.parameters.clear_caches()
    context = lambda_context(INGESTION.function_name)
    result = ingestion.handler({"run_date": RUN_DATE_VALUE, "execution": "exec-h"}, context)
    assert result["records"] == DAY_RECORDS


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"run_date": "03/11/2025"}, "run_date '03/11/2025' is not a date (YYYY-MM-DD)"),
        ({}, "run_date None is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_run_date_fails_in_one_line(event, message):
    with pytest.raises(BadEventError) as raised:
        ingestion.run_date_of(event)
    assert str(raised.value) == message


def test_a_secret_without_the_url_and_key_is_named(bronze):
    ingestion.parameters.clear_caches()
    with pytest.raises(BadEventError, match=f"secret {NAMES.api_secret} must hold JSON with 'url'"):
        ingestion.connection(NAMES.api_secret)


def test_the_function_is_configured_as_the_definition_says():
    assert (CONFIG.bucket, CONFIG.table, CONFIG.secret) == (
        NAMES.bronze_bucket,
        NAMES.checkpoints_table,
        NAMES.api_secret,
    )
    assert (CONFIG.page_size, CONFIG.attempts, CONFIG.stale_after_seconds) == (100, 5, 600)
