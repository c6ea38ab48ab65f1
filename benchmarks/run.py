"""``make bench``: FileProcessorV2 against the fastest CSV-to-Parquet engines on this machine.

Every engine runs in its own process on the same seeded files (benchmarks/generate.py), in
turn, so that drift in the machine touches all of them alike. The wall time counts all the user
waits for: process start, imports, Spark's start. Peak memory is the largest resident set of
the process and its children (Spark's JVM), sampled every 50 ms. Each engine and size is
repeated; the median is reported. Results go to benchmarks/results/ as JSON and a chart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import psutil
import pyarrow.parquet as pq

from benchmarks.generate import DATA_DIR, MB, generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).parent / "results"
BIN = Path(sys.executable).parent
SAMPLE_SECONDS = 0.05
BYTECODE_OFF = "PYTHONDONTWRITEBYTECODE"
DEFAULT_SIZES = (100, 500, 2000)
DEFAULT_REPEATS = 3
# The targets on this machine (issue 7; the DuckDB one raised by issue 15).
DUCKDB_TARGET = 0.8  # FileProcessor's throughput / DuckDB's, on the 500 MB file
DUCKDB_TARGET_SIZE = 500
SPARK_TARGET = 1.5  # FileProcessor's Spark path / the naive Spark job, on every size
MEMORY_GROWTH_LIMIT = 1.5  # FileProcessor's peak memory, largest file / smallest file


@dataclass(frozen=True)
class Engine:
    """One way to turn a CSV file into Parquet, as a command."""

    key: str
    label: str
    command: Callable[[Path, Path], list[str]]


def _gdp(*options: str) -> Callable[[Path, Path], list[str]]:
    return lambda source, out: [
        str(BIN / "gdp"),
        "process",
        *options,
        "--out",
        str(out),
        str(source),
    ]


def _baseline(name: str) -> Callable[[Path, Path], list[str]]:
    return lambda source, out: [
        sys.executable,
        "-m",
        "benchmarks.baselines",
        name,
        str(source),
        str(out),
    ]


ENGINES = (
    Engine("file_processor", "FileProcessor (gdp process)", _gdp()),
    Engine("file_processor_spark", "FileProcessor, Spark path", _gdp("--engine", "spark")),
    Engine("duckdb", "DuckDB COPY", _baseline("duckdb")),
    Engine("pyarrow", "pyarrow", _baseline("pyarrow")),
    Engine("naive_spark", "naive Spark (inferSchema)", _baseline("spark")),
)


class BenchmarkError(RuntimeError):
    """An engine failed: the benchmark has no result to report for it."""


@dataclass(frozen=True)
class Run:
    """One engine on one file."""

    seconds: float
    peak_rss_bytes: int
    output_bytes: int
    rows: int


@dataclass(frozen=True)
class Result:
    """The median of an engine's runs on one file."""

    engine: str
    label: str
    size_mb: int
    input_bytes: int
    seconds: list[float]
    median_seconds: float
    mb_per_s: float
    peak_rss_mb: float
    output_mb: float
    rows: int


def measure(command: Sequence[str], out: Path) -> Run:
    """Run the command to its end, sampling its memory; what it wrote is read back."""
    out.mkdir(parents=True)
    log = out.parent / f"{out.name}.log"
    start = time.perf_counter()
    with log.open("wb") as output:
        process = psutil.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT, env=engine_environment()
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process))
            time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise BenchmarkError(f"{' '.join(command)} exited {process.returncode}: {' | '.join(tail)}")
    files = [path for path in out.rglob("*.parquet") if path.is_file()]
    return Run(
        seconds=seconds,
        peak_rss_bytes=peak,
        output_bytes=sum(path.stat().st_size for path in files),
        rows=sum(pq.read_metadata(path).num_rows for path in files),
    )


def engine_environment() -> dict[str, str]:
    """The environment each engine runs in: this one, with Python's bytecode cache on, as an
    installed tool runs. PYTHONDONTWRITEBYTECODE (set on some machines, this one among them)
    would time the compiling of the project's modules on every run, not the engine."""
    return {name: value for name, value in os.environ.items() if name != BYTECODE_OFF}


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        for member in [process, *process.children(recursive=True)]:
            total += member.memory_info().rss
    except psutil.NoSuchProcess:
        pass
    return total


def summarize(engine: Engine, size_mb: int, source: Path, runs: Sequence[Run]) -> Result:
    """The median run; rows must agree across runs."""
    if len({run.rows for run in runs}) != 1:
        raise BenchmarkError(f"{engine.label} wrote different row counts: {runs}")
    median = statistics.median(run.seconds for run in runs)
    input_bytes = source.stat().st_size
    return Result(
        engine=engine.key,
        label=engine.label,
        size_mb=size_mb,
        input_bytes=input_bytes,
        seconds=[round(run.seconds, 2) for run in runs],
        median_seconds=round(median, 2),
        mb_per_s=round(input_bytes / MB / median, 1),
        peak_rss_mb=round(statistics.median(run.peak_rss_bytes for run in runs) / MB, 1),
        output_mb=round(runs[0].output_bytes / MB, 1),
        rows=runs[0].rows,
    )


def benchmark(sizes: Sequence[int], repeats: int, engines: Sequence[Engine]) -> list[Result]:
    """Every engine on every size, ``repeats`` times, engines taking turns."""
    results = []
    for size in sizes:
        source = generate(size)
        runs: dict[str, list[Run]] = {engine.key: [] for engine in engines}
        for attempt in range(repeats):
            for engine in engines:
                with tempfile.TemporaryDirectory(prefix="bench-", dir=DATA_DIR) as work:
                    run = measure(engine.command(source, Path(work) / "out"), Path(work) / "out")
                runs[engine.key].append(run)
                print(
                    f"  {size:>5} MB  {engine.label:<28} run {attempt + 1}/{repeats}: "
                    f"{run.seconds:6.1f} s",
                    flush=True,
                )
        sized = [summarize(engine, size, source, runs[engine.key]) for engine in engines]
        if len({result.rows for result in sized}) != 1:
            raise BenchmarkError(f"engines disagree on the rows of {source.name}: {sized}")
        results.extend(sized)
    return results


def ratios(results: Sequence[Result]) -> dict[str, dict[int, float]]:
    """Throughput ratios per size: FileProcessor / DuckDB, its Spark path / naive Spark."""
    seconds = {(r.engine, r.size_mb): r.median_seconds for r in results}
    sizes = sorted({r.size_mb for r in results})
    out: dict[str, dict[int, float]] = {}
    for name, faster, slower in (
        ("file_processor_vs_duckdb", "file_processor", "duckdb"),
        ("file_processor_spark_vs_naive_spark", "file_processor_spark", "naive_spark"),
    ):
        out[name] = {
            size: round(seconds[slower, size] / seconds[faster, size], 2)
            for size in sizes
            if (faster, size) in seconds and (slower, size) in seconds
        }
    return out


def targets(results: Sequence[Result], ratio: dict[str, dict[int, float]]) -> list[dict]:
    """Each target of this machine, where it stands."""
    checks = []
    duckdb = ratio["file_processor_vs_duckdb"].get(DUCKDB_TARGET_SIZE)
    if duckdb is not None:
        checks.append(
            _check(f"FileProcessor >= {DUCKDB_TARGET}x DuckDB at 500 MB", duckdb, DUCKDB_TARGET)
        )
    spark = ratio["file_processor_spark_vs_naive_spark"]
    if spark:
        checks.append(
            _check(
                f"Spark path >= {SPARK_TARGET}x naive Spark, every size",
                min(spark.values()),
                SPARK_TARGET,
            )
        )
    peaks = sorted((r.size_mb, r.peak_rss_mb) for r in results if r.engine == "file_processor")
    if len(peaks) > 1:
        growth = round(peaks[-1][1] / peaks[0][1], 2)
        checks.append(
            _check(
                f"FileProcessor peak memory, {peaks[-1][0]} MB file / {peaks[0][0]} MB file "
                f"<= {MEMORY_GROWTH_LIMIT}",
                growth,
                MEMORY_GROWTH_LIMIT,
                higher_is_better=False,
            )
        )
    return checks


def _check(name: str, value: float, target: float, *, higher_is_better: bool = True) -> dict:
    met = value >= target if higher_is_better else value <= target
    return {"target": name, "value": value, "met": met}


def timed(command: Sequence[str]) -> dict:
    """Wall seconds and exit code of one project command."""
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    return {
        "command": " ".join(command),
        "seconds": round(time.perf_counter() - start, 1),
        "exit_code": completed.returncode,
    }


def machine() -> dict:
    """What the numbers were measured on."""
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: version(name) for name in ("pyarrow", "duckdb", "pyspark")},
    }


def table(results: Sequence[Result]) -> str:
    """The results as a text table."""
    lines = [
        f"{'engine':<28} {'size MB':>7} {'median s':>9} {'MB/s':>7} {'peak MB':>8} "
        f"{'out MB':>7} {'rows':>11}"
    ]
    for r in results:
        lines.append(
            f"{r.label:<28} {r.size_mb:>7} {r.median_seconds:>9.1f} {r.mb_per_s:>7.1f} "
            f"{r.peak_rss_mb:>8.0f} {r.output_mb:>7.1f} {r.rows:>11,}"
        )
    return "\n".join(lines)


def chart(results: Sequence[Result], path: Path) -> None:
    """Throughput against input size, one line per engine."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, axes = plt.subplots(figsize=(9, 5), dpi=100)
    for engine in dict.fromkeys(r.label for r in results):
        points = sorted((r.size_mb, r.mb_per_s) for r in results if r.label == engine)
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=engine)
    axes.set_xscale("log")
    sizes = sorted({r.size_mb for r in results})
    axes.set_xticks(sizes, [f"{size} MB" for size in sizes])
    axes.set_xlabel("CSV file size")
    axes.set_ylabel("throughput (MB/s, wall clock, process start included)")
    axes.set_title(f"CSV to snappy Parquet on {os.cpu_count()} cores")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def project_timings() -> list[dict]:
    """The full synth of both apps, then ``make test``."""
    return [timed([str(BIN / "gdp"), "synth"]), timed(["make", "test"])]


def retime_project(results: Path) -> int:
    """Time the project commands again and record them in an existing report."""
    report = json.loads(results.read_text())
    report["project"] = project_timings()
    report["project_measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results.write_text(json.dumps(report, indent=2) + "\n")
    for project in report["project"]:
        print(f"{project['command']}: {project['seconds']} s (exit {project['exit_code']})")
    return 0 if all(project["exit_code"] == 0 for project in report["project"]) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="MB")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument(
        "--engines", nargs="+", choices=[e.key for e in ENGINES], default=[e.key for e in ENGINES]
    )
    parser.add_argument(
        "--skip-project", action="store_true", help="do not time the synth and make test"
    )
    parser.add_argument(
        "--project-only",
        action="store_true",
        help="only time the synth and make test again, into the existing results.json",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.project_only:
        return retime_project(args.results / "results.json")
    engines = [e for e in ENGINES if e.key in args.engines]
    print(f"Benchmarking {len(engines)} engines on {args.sizes} MB, {args.repeats} runs each")
    try:
        results = benchmark(args.sizes, args.repeats, engines)
    except BenchmarkError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    ratio = ratios(results)
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "repeats": args.repeats,
        "results": [asdict(r) for r in results],
        "ratios": ratio,
        "targets": targets(results, ratio),
    }
    if not args.skip_project:
        report["project"] = project_timings()
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    chart(results, args.results / "throughput.png")
    print()
    print(table(results))
    print()
    for name, by_size in ratio.items():
        print(f"{name}: " + ", ".join(f"{size} MB {value}x" for size, value in by_size.items()))
    for check in report["targets"]:
        print(f"{'met   ' if check['met'] else 'MISSED'} {check['target']}: {check['value']}")
    for project in report.get("project", []):
        print(f"{project['command']}: {project['seconds']} s (exit {project['exit_code']})")
    print(f"\nwritten: {args.results / 'results.json'}, {args.results / 'throughput.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
