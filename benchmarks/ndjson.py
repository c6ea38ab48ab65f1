"""``make bench``, ndjson-batching: the batch job's Spark work on one manifest of 200 NDJSON
files of about 3.5 MB (the seed's batch) against DuckDB ``read_json`` -> Parquet and a naive
Spark ``read.json`` -> write.

Each engine runs in its own process on the same seeded files, in turn; wall time includes
process start; the median of the runs is reported, with the ratios, in
benchmarks/results/ndjson.json. Run one engine alone with
``python -m benchmarks.ndjson --engine job|duckdb|spark FOLDER OUT``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.generate import DATA_DIR
from benchmarks.reports import engine_results, write_report
from benchmarks.run import (
    RESULTS_DIR,
    BenchmarkError,
    Run,
    machine,
    measure,
)

SEED = 20261201
FILES = 200
FILE_BYTES = 3_500_000
DEFAULT_REPEATS = 3
ENGINES = ("job", "duckdb", "spark")
LABELS = {
    "job": "ndjson-batching batch job",
    "duckdb": "DuckDB read_json COPY",
    "spark": "naive Spark read.json",
}
TARGET_FILE_BYTES = 128 * 1024 * 1024


def generate(folder: Path) -> list[Path]:
    """The batch's files (named as the job stages them), generated once."""
    from applications_repo.ndjson_batching.job.merge import staged_name  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / staged_name(i) for i in range(FILES)]
    if all(p.exists() for p in paths):
        return paths
    rng = random.Random(SEED)
    kinds = ("page_view", "click", "add_to_cart", "purchase")
    for index, path in enumerate(paths):
        lines, size, row = [], 0, 0
        while size < FILE_BYTES:
            event = {
                "event_id": f"{index:03d}-{row:07d}",
                "user_id": rng.randrange(1, 1_000_000),
                "event_type": rng.choice(kinds),
                "occurred_at": f"2026-12-01T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
                "page": f"/product/{rng.randrange(10_000)}",
                "device": {"os": rng.choice(("ios", "android", "linux")), "v": rng.random()},
                "amount": round(rng.random() * 500, 2) if rng.random() < 0.2 else None,
                "tags": rng.sample(("new", "promo", "mobile", "beta", "returning"), k=2),
            }
            line = json.dumps(event, separators=(",", ":"))
            lines.append(line)
            size += len(line) + 1
            row += 1
        path.write_text("\n".join(lines) + "\n")
    return paths


def run_job(folder: Path, out: Path) -> None:
    """The batch job's own work on local files: lines with their numbers, the schema, the
    rejects, files sized from a measured sample."""
    from applications_repo.ndjson_batching.job.merge import (  # noqa: PLC0415
        data_only,
        file_count,
        in_files,
        merge,
    )
    from shared.glue.session import get_spark  # noqa: PLC0415

    spark = get_spark("bench-ndjson")
    paths = sorted(str(p) for p in folder.glob("*.ndjson"))
    merged = merge(spark, paths, None)
    total = sum(rows for rows, _ in merged.counts_by_file().values())

    def write_sample(sample) -> int:
        target = out.parent / f"{out.name}-sample"
        data_only(sample).write.mode("overwrite").parquet(str(target))
        return sum(p.stat().st_size for p in target.glob("*.parquet"))

    files = file_count(merged.rows, total, TARGET_FILE_BYTES, write_sample)
    in_files(data_only(merged.rows), files).write.mode("overwrite").parquet(str(out / "job"))


def run_duckdb(folder: Path, out: Path) -> None:
    import duckdb  # noqa: PLC0415

    with duckdb.connect() as connection:
        connection.execute(
            "COPY (SELECT * FROM read_json(?, format = 'newline_delimited')) "
            "TO ? (FORMAT parquet, COMPRESSION snappy)",
            [str(folder / "*.ndjson"), str(out / "part-0.snappy.parquet")],
        )


def run_spark(folder: Path, out: Path) -> None:
    from shared.glue.session import get_spark  # noqa: PLC0415

    spark = get_spark("bench-naive-json")
    spark.read.json(str(folder)).write.mode("overwrite").parquet(str(out / "spark"))


RUNNERS = {"job": run_job, "duckdb": run_duckdb, "spark": run_spark}


def benchmark(repeats: int) -> dict:
    folder = DATA_DIR / f"ndjson-{FILES}x{FILE_BYTES // 100_000 / 10}mb-seed{SEED}"
    paths = generate(folder)
    input_bytes = sum(p.stat().st_size for p in paths)
    runs: dict[str, list[Run]] = {engine: [] for engine in ENGINES}
    for attempt in range(repeats):
        for engine in ENGINES:
            with tempfile.TemporaryDirectory(prefix="bench-", dir=DATA_DIR) as work:
                command = [sys.executable, "-m", "benchmarks.ndjson", "--engine", engine]
                run = measure([*command, str(folder), str(Path(work) / "out")], Path(work) / "out")
            runs[engine].append(run)
            print(f"  {LABELS[engine]:<28} run {attempt + 1}/{repeats}: {run.seconds:6.1f} s")
    results = engine_results(runs, LABELS)
    seconds = {engine: result["median_seconds"] for engine, result in results.items()}
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "files": FILES,
        "input_mb": round(input_bytes / 2**20, 1),
        "repeats": repeats,
        "results": results,
        "ratios": {
            "job_vs_duckdb": round(seconds["duckdb"] / seconds["job"], 2),
            "job_vs_naive_spark": round(seconds["spark"] / seconds["job"], 2),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, help="run one engine on FOLDER into OUT")
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.engine:
        folder, out = args.paths
        out.mkdir(parents=True, exist_ok=True)
        RUNNERS[args.engine](folder, out)
        return 0
    print(f"Benchmarking ndjson-batching on {FILES} files of {FILE_BYTES / 1e6} MB")
    try:
        report = benchmark(args.repeats)
    except BenchmarkError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    write_report(report, args.results, "ndjson.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
