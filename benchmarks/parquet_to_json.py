"""``make bench``, parquet-to-json: the job's two engines (Arrow, the single-node function's;
Spark, the Glue job's) on a taxi-shaped Parquet file of about 1 GB against DuckDB
``COPY (FROM 'x.parquet') TO 'y.json'``.

The file is made here (``taxi_data``, seeded) once. Each engine runs in its own process, in
turn; wall time includes process start, peak memory is the process tree's; the median of the
runs is reported, with the ratios, in benchmarks/results/parquet_to_json.json. The job's runs
do all of their work: the schema check, the four quality rules, the JSON contract (NaN as
null, ISO-8601 UTC timestamps), the verification of the counts. Run one engine alone with
``python -m benchmarks.parquet_to_json --engine arrow|spark|duckdb FILE OUT``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
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
TARGET_BYTES = 1024**3
ROWS_PER_GROUP = 1_000_000
DEFAULT_REPEATS = 3
ENGINES = ("arrow", "spark", "duckdb")
LABELS = {
    "arrow": "parquet-to-json, Arrow (single node)",
    "spark": "parquet-to-json, Spark (Glue job)",
    "duckdb": "DuckDB COPY TO json",
}


def generate() -> Path:
    """The taxi file of about ``TARGET_BYTES``, made once."""
    from applications_repo.parquet_to_json.taxi_data import Shape, write_until  # noqa: PLC0415

    path = DATA_DIR / f"yellow_tripdata-{TARGET_BYTES // 2**20}mb-seed{SEED}.parquet"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_until(partial, Shape(ROWS_PER_GROUP, (2024, 1), seed=SEED), TARGET_BYTES)
        partial.rename(path)
    return path


def run_job(engine_name: str, source: Path, out: Path) -> None:
    from applications_repo.parquet_to_json.job.conversion import (  # noqa: PLC0415
        ConversionRequest,
        convert_file,
    )
    from applications_repo.parquet_to_json.job.engines import make_engine  # noqa: PLC0415
    from applications_repo.parquet_to_json.settings import ParquetToJsonSettings  # noqa: PLC0415
    from shared.glue.storage import LocalStorage  # noqa: PLC0415

    own = ParquetToJsonSettings()
    request = ConversionRequest(
        source=str(source),
        source_version=None,
        output=str(out / "trips.json"),
        rejects=str(out / "rejected" / "trips.json"),
        run_id="bench",
        contract=own.contract(),
        batch_rows=own.batch_rows,
    )
    done = convert_file(
        make_engine(engine_name, "bench-parquet-to-json"), LocalStorage(), None, request
    )
    if done.status != "SUCCEEDED":
        raise BenchmarkError(f"{engine_name}: {done.status}: {done.error}")


def run_duckdb(source: Path, out: Path) -> None:
    import duckdb  # noqa: PLC0415

    with duckdb.connect() as connection:
        connection.execute(f"COPY (FROM '{source}') TO '{out / 'trips.json'}'")


def lines_of(out: Path) -> int:
    """The JSON lines written (the rejects' included)."""
    total = 0
    for path in out.rglob("*.json"):
        with path.open("rb") as stream:
            while chunk := stream.read(16 * 1024 * 1024):
                total += chunk.count(b"\n")
    return total


def benchmark(repeats: int) -> dict:
    source = generate()
    runs: dict[str, list[Run]] = {engine: [] for engine in ENGINES}
    for attempt in range(repeats):
        for engine in ENGINES:
            with tempfile.TemporaryDirectory(prefix="bench-", dir=DATA_DIR) as work:
                out = Path(work) / "out"
                command = [sys.executable, "-m", "benchmarks.parquet_to_json", "--engine", engine]
                run = measure([*command, str(source), str(out)], out)
                run = replace(
                    run,
                    rows=lines_of(out),
                    output_bytes=sum(p.stat().st_size for p in out.rglob("*.json")),
                )
            runs[engine].append(run)
            print(f"  {LABELS[engine]:<38} run {attempt + 1}/{repeats}: {run.seconds:6.1f} s")
    results = engine_results(runs, LABELS)
    seconds = {engine: result["median_seconds"] for engine, result in results.items()}
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "input_mb": round(source.stat().st_size / 2**20, 1),
        "repeats": repeats,
        "results": results,
        "ratios": {
            "arrow_vs_duckdb": round(seconds["duckdb"] / seconds["arrow"], 2),
            "spark_vs_duckdb": round(seconds["duckdb"] / seconds["spark"], 2),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, help="run one engine on FILE into OUT")
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.engine:
        source, out = args.paths
        out.mkdir(parents=True, exist_ok=True)
        if args.engine == "duckdb":
            run_duckdb(source, out)
        else:
            run_job(args.engine, source, out)
        return 0
    print(f"Benchmarking parquet-to-json on a taxi file of {TARGET_BYTES // 2**20} MB")
    try:
        report = benchmark(args.repeats)
    except BenchmarkError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    write_report(report, args.results, "parquet_to_json.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
