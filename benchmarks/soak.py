"""``make bench``, the soak: a burst of small inputs on the local stage, no faults, at two
sizes (1,000 and 10,000 CSV files by default), each in a process of its own: throughput (files
per second, from the first upload to the stage going quiet) and the process's peak memory
(resident set), which should stay flat as the burst grows. Each run is audited as the chaos
run is: nothing lost, nothing duplicated. Results in benchmarks/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.run import RESULTS_DIR, machine

SIZES = (1000, 10_000)
APPLICATION = "file-processor"
"""The smallest inputs: a CSV of a few rows, through the trigger and the single-node run."""
CLOCK_SPEED = 3.0
"""Lambda's six hours of maximum event age last two hours: the local runtime works through a
burst of 10,000 uploads at a few a second, which the chaos run's 60x clock would age out into
the trigger's dead-letter queue after six minutes (the soak would then time that path)."""


def one(inputs: int) -> dict[str, Any]:
    """One burst of ``inputs`` files, in this process."""
    from shared.chaos.run import run_chaos  # noqa: PLC0415 (moto loads here)
    from shared.config import LOCAL_RUN_ROOT, load_config  # noqa: PLC0415
    from shared.local.clock import LocalClock  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-soak-") as work:
        report = run_chaos(
            load_config(),
            seed=1,
            inputs=inputs,
            workdir=Path(work),
            rates={},
            apps=[APPLICATION],
            assembly_cache=LOCAL_RUN_ROOT / "cdk.out",
            clock=LocalClock(speed=CLOCK_SPEED),
        )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "inputs": inputs,
        "processing_seconds": round(report.processing_seconds, 1),
        "inputs_per_second": round(inputs / report.processing_seconds, 2),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "audit": report.line(),
        "passed": report.passed,
    }


def merged_runs(previous: dict[str, Any], runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's sizes, and the ``previous`` report's results of the sizes it did not run,
    by size; each keeps when it was measured."""
    ran = {run["inputs"] for run in runs}
    kept = [
        {**run, "measured_at": run.get("measured_at", previous.get("measured_at"))}
        for run in previous.get("runs", [])
        if run["inputs"] not in ran
    ]
    return sorted([*kept, *runs], key=lambda run: run["inputs"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    runs: list[dict[str, Any]] = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.soak", "--one", str(size)],
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"soak {size} files: the run failed:\n{done.stderr[-3000:]}", file=sys.stderr)
            return 1
        runs.append({**json.loads(done.stdout.splitlines()[-1]), "measured_at": now})
        print(
            f"soak {size:6d} files: {runs[-1]['inputs_per_second']:6.2f} files/s, "
            f"peak {runs[-1]['peak_rss_mb']:7.1f} MB; {runs[-1]['audit']}",
            flush=True,
        )
    results = RESULTS_DIR / "soak.json"
    previous = json.loads(results.read_text()) if results.exists() else {}
    report = {
        "measured_at": now,
        "machine": machine(),
        "application": APPLICATION,
        "runs": merged_runs(previous, runs),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(run["passed"] for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
