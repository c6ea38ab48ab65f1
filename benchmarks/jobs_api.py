"""``make bench``, jobs-api: the local API's latency (p50, p99) and throughput for
``GET /jobs`` and ``GET /job-status/{jobId}`` at a fixed concurrency, through the local
stage's API Gateway on 127.0.0.1 (HTTP, routing, throttling, the proxy event, the access
log), beside the same requests handed to the deployed API function directly (the local
runtime's overhead is the difference).

The dev stage is deployed from its templates (``gdp run``'s cached assembly); ``JOBS`` jobs
are created through ``POST /upload`` first. Results in benchmarks/results/jobs_api.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.run import RESULTS_DIR, machine

JOBS = 50
CONCURRENCY = 8
REQUESTS = 400
PERCENTILES = (50, 99)


def percentile(values: Sequence[float], wanted: int) -> float:
    """The ``wanted`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, round(wanted / 100 * len(ordered)))
    return ordered[rank - 1]


def measure(call: Callable[[int], None], requests: int, concurrency: int) -> dict[str, float]:
    """``requests`` calls on ``concurrency`` threads: latencies (ms) and throughput."""

    def timed(index: int) -> float:
        started = time.perf_counter()
        call(index)
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(timed, range(requests)))
    wall = time.perf_counter() - started
    return {
        **{f"p{p}_ms": round(percentile(latencies, p), 2) for p in PERCENTILES},
        "mean_ms": round(statistics.fmean(latencies), 2),
        "requests_per_second": round(requests / wall, 1),
    }


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{url}: {answer.status}")


def _event(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"accept": "application/json"},
        "multiValueHeaders": {"accept": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "requestContext": {"stage": "dev", "path": f"/dev{path}", "requestId": "bench"},
        "body": None,
        "isBase64Encoded": False,
    }


def benchmark(requests: int, concurrency: int) -> dict[str, Any]:
    from applications_repo.jobs_api.client import JobsApiClient  # noqa: PLC0415
    from applications_repo.jobs_api.names import JobsApiNames  # noqa: PLC0415
    from shared.config import LOCAL_RUN_ROOT, StageName, load_config  # noqa: PLC0415
    from shared.local.stage import LocalStage  # noqa: PLC0415

    config = load_config()
    with (
        tempfile.TemporaryDirectory(prefix="bench-jobs-api-") as work,
        LocalStage(
            config,
            StageName.DEV,
            workdir=Path(work),
            assembly_cache=LOCAL_RUN_ROOT / "cdk.out",
        ) as stage,
    ):
        names = JobsApiNames(stage.naming)
        url = stage.rest_apis.urls[names.rest_api]
        client = JobsApiClient(url)
        jobs = [
            client.ok("POST", "/upload", {"filename": f"f{i}.parquet", "sizeBytes": 100})["jobId"]
            for i in range(JOBS)
        ]
        function = names.api_function
        listing = _event("/jobs", {"limit": "20"})
        routes: dict[str, tuple[Callable[[int], None], Callable[[int], None]]] = {
            "GET /jobs": (
                lambda i: _get(f"{url}/jobs?limit=20"),
                lambda i: stage.functions.invoke(function, listing, "bench"),
            ),
            "GET /job-status/{jobId}": (
                lambda i: _get(f"{url}/job-status/{jobs[i % JOBS]}"),
                lambda i: stage.functions.invoke(
                    function, _event(f"/job-status/{jobs[i % JOBS]}"), "bench"
                ),
            ),
        }
        results = {}
        for route, (through_api, direct) in routes.items():
            measure(through_api, concurrency, concurrency)  # warm: the function's first load
            results[route] = {
                "local_api": measure(through_api, requests, concurrency),
                "function_directly": measure(direct, requests, concurrency),
            }
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'route':26} {'path':18} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}"]
    for route, paths in results.items():
        for path, figures in paths.items():
            lines.append(
                f"{route:26} {path:18} {figures['p50_ms']:8.1f} {figures['p99_ms']:8.1f} "
                f"{figures['requests_per_second']:8.1f}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args(argv)
    results = benchmark(args.requests, args.concurrency)
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "jobs": JOBS,
        "results": results,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "jobs_api.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
