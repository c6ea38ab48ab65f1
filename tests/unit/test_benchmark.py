"""The benchmark's own logic: seeded data of a realistic shape, medians, ratios, targets, and
one short run of ``make bench``'s program end to end (the fast engines, a 1 MB file)."""

from __future__ import annotations

import hashlib
import json

import pyarrow.csv as pacsv
import pytest

from benchmarks import run as bench
from benchmarks import soak
from benchmarks.generate import MB, generate


def result(engine: str, size: int, seconds: float, peak: float = 100.0) -> bench.Result:
    return bench.Result(
        engine=engine,
        label=engine,
        size_mb=size,
        input_bytes=size * MB,
        seconds=[seconds],
        median_seconds=seconds,
        mb_per_s=size / seconds,
        peak_rss_mb=peak,
        output_mb=1.0,
        rows=10,
    )


def test_the_data_is_seeded_sized_and_of_mixed_types(tmp_path):
    first = generate(2, tmp_path / "a")
    second = generate(2, tmp_path / "b")
    assert (
        hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    )
    assert 2 * MB <= first.stat().st_size < 8 * MB
    table = pacsv.read_csv(first)
    types = {str(field.type) for field in table.schema}
    assert {"int64", "double", "bool", "date32[day]", "string"} <= types
    assert table.column("quantity").null_count > 0
    assert any('"' in value or "," in value for value in table.column("customer").to_pylist())


def test_ratios_are_throughput_ratios_per_size():
    results = [
        result("file_processor", 500, 10.0),
        result("duckdb", 500, 6.0),
        result("file_processor_spark", 500, 20.0),
        result("naive_spark", 500, 40.0),
    ]
    assert bench.ratios(results) == {
        "file_processor_vs_duckdb": {500: 0.6},
        "file_processor_spark_vs_naive_spark": {500: 2.0},
    }


@pytest.mark.parametrize(
    ("fp_seconds", "spark_seconds", "large_peak", "met"),
    [(7.0, 20.0, 120.0, [True, True, True]), (13.0, 30.0, 200.0, [False, False, False])],
)
def test_targets_say_whether_each_is_met(fp_seconds, spark_seconds, large_peak, met):
    results = [
        result("file_processor", 100, 2.0, peak=100.0),
        result("file_processor", 500, fp_seconds, peak=large_peak),
        result("duckdb", 500, 6.0),
        result("file_processor_spark", 500, spark_seconds),
        result("naive_spark", 500, 40.0),
    ]
    checks = bench.targets(results, bench.ratios(results))
    assert [check["met"] for check in checks] == met


def test_engines_run_with_the_bytecode_cache_on(monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("GDP_CONFIG", "platform.yaml")
    environment = bench.engine_environment()
    assert "PYTHONDONTWRITEBYTECODE" not in environment
    assert environment["GDP_CONFIG"] == "platform.yaml"


def test_a_short_run_writes_the_table_json_and_chart(tmp_path, capsys):
    code = bench.main(
        [
            "--sizes", "1",
            "--repeats", "1",
            "--engines", "file_processor", "duckdb", "pyarrow",
            "--skip-project",
            "--results", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    report = json.loads((tmp_path / "results.json").read_text())
    rows = {r["engine"]: r["rows"] for r in report["results"]}
    assert set(rows) == {"file_processor", "duckdb", "pyarrow"}
    assert len(set(rows.values())) == 1 and rows["duckdb"] > 0
    assert all(r["peak_rss_mb"] > 0 and r["mb_per_s"] > 0 for r in report["results"])
    assert (tmp_path / "throughput.png").read_bytes()[:4] == b"\x89PNG"
    assert "FileProcessor (gdp process)" in capsys.readouterr().out


@pytest.mark.parametrize(("exit_code", "code"), [(0, 0), (2, 1)])
def test_project_only_retimes_into_the_existing_report(tmp_path, monkeypatch, exit_code, code):
    (tmp_path / "results.json").write_text(json.dumps({"results": [{"engine": "duckdb"}]}))
    timing = {"command": "make test", "seconds": 300.0, "exit_code": exit_code}
    monkeypatch.setattr(bench, "project_timings", lambda: [timing])
    assert bench.main(["--project-only", "--results", str(tmp_path)]) == code
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["results"] == [{"engine": "duckdb"}]
    assert report["project"] == [timing] and report["project_measured_at"]


def test_the_ndjson_batch_is_seeded_and_named_as_the_job_stages_it(tmp_path, monkeypatch):
    from benchmarks import ndjson  # noqa: PLC0415

    monkeypatch.setattr(ndjson, "FILES", 3)
    monkeypatch.setattr(ndjson, "FILE_BYTES", 20_000)
    first = ndjson.generate(tmp_path / "a")
    again = ndjson.generate(tmp_path / "b")
    assert [p.name for p in first] == ["00000.ndjson", "00001.ndjson", "00002.ndjson"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    lines = first[0].read_text().splitlines()
    assert sum(len(line) + 1 for line in lines) >= 20_000
    assert all(json.loads(line)["event_id"].startswith("000-") for line in lines)


def test_a_soak_of_some_sizes_keeps_the_earlier_results_of_the_others():
    previous = {
        "measured_at": "2026-12-03T15:57:34+00:00",
        "runs": [{"inputs": 1000, "passed": True}, {"inputs": 10_000, "passed": True}],
    }
    now = [{"inputs": 1000, "passed": False, "measured_at": "2026-12-04T10:00:00+00:00"}]
    assert soak.merged_runs(previous, now) == [
        {"inputs": 1000, "passed": False, "measured_at": "2026-12-04T10:00:00+00:00"},
        {"inputs": 10_000, "passed": True, "measured_at": "2026-12-03T15:57:34+00:00"},
    ]
    assert soak.merged_runs({}, now) == now
