"""jobs-api as its users meet it: ``gdp run --app jobs-api --keep --json`` serves the local
API and the web UI (built from its npm project) and prints their URLs as soon as they
listen; the post-deploy tests run through that API; Debian's Chromium, driven by
Playwright, clicks through upload -> convert -> status -> download of a real Parquet file
and reads the JSON it downloads, and sees a failed job's error; schemathesis fuzzes the
local API from the committed OpenAPI document. Screenshots are kept under
``build/screenshots/jobs-api/``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from playwright.sync_api import expect
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import unsupported_method

from applications_repo.jobs_api.client import JobsApiClient
from applications_repo.jobs_api.definition import OPENAPI
from applications_repo.parquet_to_json.definition import SAMPLES
from shared.config import REPOSITORY_ROOT
from tests.post_deploy.test_jobs_api import (  # noqa: F401 (collected here as well)
    test_an_unknown_job_is_a_404_problem,
    test_an_uploaded_file_is_converted_and_downloads_as_json,
)

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE = SAMPLES / "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet"
SAMPLE_ROWS = 5000
SCREENSHOTS = REPOSITORY_ROOT / "build" / "screenshots" / "jobs-api"
LISTEN_TIMEOUT_SECONDS = 300
STEP_TIMEOUT_MS = 60_000
ACCEPTED = ["2xx", "404", "409", "413"]
"""What a schema-valid request may be answered: success, or a refusal that depends on the
stage's state (no such job, not in that state) or its config (the upload limit)."""
SCHEMA = schemathesis.openapi.from_path(
    OPENAPI,
    config=SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}
    ),
)


@pytest.fixture(scope="module")
def served(tmp_path_factory, assemblies) -> Iterator[dict[str, str]]:
    """``gdp run --app jobs-api --keep --json`` on the tests' synthesized assemblies, until
    the module ends (then Ctrl-C, as a user stops it)."""
    command = [sys.executable, "-m", "shared.cli.main", "run", "--app", "jobs-api"]
    command += ["--keep", "--json", "--assembly", str(assemblies)]
    log = (tmp_path_factory.mktemp("gdp-run") / "stderr.log").open("w")
    process = subprocess.Popen(
        command, cwd=REPOSITORY_ROOT, stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        yield _urls(process, Path(log.name))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _urls(process: subprocess.Popen, log: Path) -> dict[str, str]:
    deadline = time.monotonic() + LISTEN_TIMEOUT_SECONDS
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"gdp run ended before serving the API:\n{log.read_text()[-3000:]}")
        document = json.loads(line)
        if "api_url" in document:
            return document
    pytest.fail(f"gdp run did not serve the API in time:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def jobs_api(served) -> JobsApiClient:
    """The post-deploy tests' client, of the local API (dev's auth is ``none``)."""
    return JobsApiClient(served["api_url"])


@pytest.fixture(scope="module")
def browser(served) -> Iterator[object]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (the browser's tests only)

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs Debian's chromium with apt")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1100, "height": 700},
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        yield context
        context.close()


def test_gdp_run_keep_prints_where_the_api_and_the_ui_listen(served):
    assert set(served) == {"application", "api_url", "ui_url"}
    assert served["application"] == "jobs-api"
    with urllib.request.urlopen(f"{served['api_url']}/jobs", timeout=30) as answer:
        assert answer.status == 200
        assert "jobs" in json.load(answer)
    with urllib.request.urlopen(served["ui_url"], timeout=30) as answer:
        assert '<div id="root">' in answer.read().decode()


def test_a_user_uploads_converts_and_downloads_a_parquet_file(browser, served, tmp_path):
    page = browser.new_page()
    page.goto(served["ui_url"])
    page.get_by_test_id("file").set_input_files(str(SAMPLE))
    page.get_by_test_id("upload").click()
    row = page.locator(f'[data-testid="job"]:has-text("{SAMPLE.name}")').first
    row.locator('[data-status="UPLOADED"], [data-testid="convert"]').first.wait_for()
    page.screenshot(path=SCREENSHOTS / "1-uploaded.png")
    row.get_by_test_id("convert").click()
    succeeded = page.locator(
        f'[data-testid="job"][data-status="SUCCEEDED"]:has-text("{SAMPLE.name}")'
    )
    succeeded.wait_for()
    assert succeeded.locator("td").nth(2).inner_text() == str(SAMPLE_ROWS)
    succeeded.get_by_test_id("get-link").click()
    with page.expect_download() as download:
        succeeded.get_by_test_id("download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    page.screenshot(path=SCREENSHOTS / "2-succeeded.png")
    lines = saved.read_text().splitlines()
    assert saved.name == "yellow_tripdata_2024-01.json"
    assert len(lines) == SAMPLE_ROWS
    first = json.loads(lines[0])
    assert {"VendorID", "tpep_pickup_datetime", "fare_amount"} <= set(first)
    page.close()


def test_a_failed_job_shows_its_error(browser, served, tmp_path):
    fake = tmp_path / "not-really.parquet"
    fake.write_text("id,name\n1,a\n")
    page = browser.new_page()
    page.goto(served["ui_url"])
    page.get_by_test_id("file").set_input_files(str(fake))
    page.get_by_test_id("upload").click()
    rejected = page.locator('[data-testid="job"][data-status="REJECTED"]:has-text("not-really")')
    rejected.wait_for()
    error = rejected.get_by_test_id("job-error").inner_text()
    assert "does not start with Parquet's magic bytes PAR1" in error
    page.get_by_test_id("filter").select_option("REJECTED")
    expect(page.locator('[data-testid="job"]:not([data-status="REJECTED"])')).to_have_count(0)
    expect(rejected).to_have_count(1)
    page.screenshot(path=SCREENSHOTS / "3-rejected.png")
    page.close()


def test_an_api_error_reads_as_its_title_and_detail(browser, served):
    page = browser.new_page()
    page.goto(served["ui_url"])
    # a file the API refuses (its size as the browser would report a 1 TB file)
    page.get_by_test_id("file").set_input_files(
        {"name": "huge.parquet", "mimeType": "application/octet-stream", "buffer": b"PAR1"}
    )
    huge = json.dumps({"filename": "huge.parquet", "sizeBytes": 10**12})
    page.route("**/api/upload", lambda route: route.continue_(post_data=huge))
    page.get_by_test_id("upload").click()
    alert = page.get_by_test_id("error")
    alert.wait_for()
    assert alert.inner_text().startswith("File too large: huge.parquet is 1000000000000 bytes")
    page.close()


@pytest.fixture
def api_url(served) -> str:
    return served["api_url"]


@SCHEMA.parametrize()
@settings(
    max_examples=int(os.environ.get("GDP_FUZZ_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_local_api_keeps_its_openapi_document_under_fuzzing(case, api_url):
    # A page token is valid only as this API issued it: a generated one is a 400, which the
    # unit tests assert; the other parameters are fuzzed with the listing's first page.
    if case.query and not (case.meta and case.meta.generation.mode.is_negative):
        case.query.pop("next", None)
    # API Gateway answers a method a resource lacks with 403 (Missing Authentication Token),
    # not the 405 schemathesis expects; the local API Gateway answers as AWS does.
    case.call_and_validate(base_url=api_url, excluded_checks=[unsupported_method])
