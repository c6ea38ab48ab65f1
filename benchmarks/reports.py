"""What a benchmark of several engines reports: each engine's runs summarized, written as JSON
and printed."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from benchmarks.run import BenchmarkError, Run


def engine_results(runs: dict[str, list[Run]], labels: dict[str, str]) -> dict[str, dict]:
    """Each engine's runs summarized (their times, the median, the median peak memory, the
    output and its rows); the engines must agree on the rows."""
    rows = {engine: {r.rows for r in found} for engine, found in runs.items()}
    if len({count for counts in rows.values() for count in counts}) != 1:
        raise BenchmarkError(f"engines disagree on the rows: {rows}")
    return {
        engine: {
            "label": labels[engine],
            "seconds": [round(r.seconds, 2) for r in found],
            "median_seconds": round(statistics.median(r.seconds for r in found), 2),
            "peak_rss_mb": round(statistics.median(r.peak_rss_bytes for r in found) / 2**20),
            "output_mb": round(found[0].output_bytes / 2**20, 1),
            "rows": found[0].rows,
        }
        for engine, found in runs.items()
    }


def write_report(report: dict, results_dir: Path, name: str) -> None:
    """Write ``report`` to ``results_dir/name`` and print its medians and ratios."""
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / name).write_text(json.dumps(report, indent=2) + "\n")
    width = max(len(result["label"]) for result in report["results"].values()) + 2
    for result in report["results"].values():
        print(
            f"{result['label']:<{width}} {result['median_seconds']:>7.1f} s  "
            f"{result['peak_rss_mb']:>6} MB peak  {result['rows']:,} rows"
        )
    for ratio, value in report["ratios"].items():
        print(f"{ratio}: {value}x")
    print(f"written: {results_dir / name}")
