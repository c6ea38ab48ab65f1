"""parquet-to-json's conversion on both engines: the JSON contract held by a golden file of
edge values, every value of a taxi month round-tripping to the same value and type, the same
lines from Spark and from Arrow, the schema check and each quality rule."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from applications_repo.parquet_to_json.contract import Column, Contract, Family
from applications_repo.parquet_to_json.job.arrow_engine import ArrowEngine
from applications_repo.parquet_to_json.job.conversion import (
    REJECTED_KEY,
    Conversion,
    ConversionRequest,
    convert_file,
)
from applications_repo.parquet_to_json.job.spark_engine import SparkEngine
from applications_repo.parquet_to_json.settings import ParquetToJsonSettings
from applications_repo.parquet_to_json.taxi_data import Shape, green_trips, trips
from shared.glue.storage import LocalStorage

GOLDEN = Path(__file__).parents[1] / "fixtures" / "parquet_to_json" / "golden.jsonl"
TAXI = ParquetToJsonSettings().contract()
NEW_YORK = "America/New_York"


@pytest.fixture(params=("spark", "arrow"))
def p2j_engine(request, spark):
    """Each engine in turn: the contract holds for both."""
    return SparkEngine(spark) if request.param == "spark" else ArrowEngine()


def convert(engine, tmp_path: Path, table: pa.Table, contract: Contract = TAXI) -> Conversion:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    request = ConversionRequest(
        source=str(source),
        source_version=None,
        output=str(tmp_path / "out" / "file.json"),
        rejects=str(tmp_path / "rejects" / "file.json"),
        run_id="test",
        contract=contract,
        batch_rows=1024,
    )
    return convert_file(engine, LocalStorage(), None, request)


def read_lines(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def canonical(rows: list[dict[str, Any]]) -> list[str]:
    """Rows as Python reads them, written back: 2.0 stays a float, 2 an int."""
    return [json.dumps(row, ensure_ascii=False) for row in rows]


def edge_values() -> pa.Table:
    """One column per type of the contract, with its hard values."""
    naive = [dt.datetime(2024, 1, 15, 8, 30, 0, 123456), None, dt.datetime(1970, 1, 1)]
    aware = [
        dt.datetime(2024, 7, 1, 12, 0, tzinfo=dt.UTC),
        None,
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    ]
    return pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int32()),
            "big": pa.array([2**62, -1, None], pa.int64()),
            "double": pa.array([2.0, float("nan"), -0.0]),
            "huge": pa.array([1e20, float("inf"), float("-inf")]),
            "single": pa.array([1.1, None, 3.0], pa.float32()),
            "amount": pa.array([Decimal("12.50"), Decimal("-0.01"), None], pa.decimal128(12, 2)),
            "naive": pa.array(naive, pa.timestamp("us")),
            "new_york": pa.array(aware, pa.timestamp("us", tz=NEW_YORK)),
            "milliseconds": pa.array(naive, pa.timestamp("ms")),
            "day": pa.array([dt.date(2024, 2, 29), None, dt.date(1999, 12, 31)]),
            "text": pa.array(['quote " backslash \\ newline \n tab \t bell \x07', "é 中 🚕", None]),
            "flag": pa.array([True, None, False]),
            "zone": pa.array(["JFK", "EWR", "JFK"]).dictionary_encode(),
        }
    )


OPEN_CONTRACT = Contract((Column("id", Family.INTEGER),))
"""Only ``id`` is known: the other columns are converted under their own names."""


def test_the_json_contract_holds_for_every_type(p2j_engine, tmp_path):
    done = convert(p2j_engine, tmp_path, edge_values(), OPEN_CONTRACT)
    assert done.status == "SUCCEEDED", done.error
    golden = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    assert canonical(read_lines(str(done.output))) == canonical(golden)


def expected(value: Any, data_type: pa.DataType) -> Any:
    """What the contract makes of one Parquet value."""
    if value is None:
        return None
    if pa.types.is_floating(data_type):
        return value if math.isfinite(value) else None
    if pa.types.is_timestamp(data_type):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def test_every_value_of_a_taxi_month_round_trips_to_the_same_value_and_type(p2j_engine, tmp_path):
    table = trips(Shape(3000, seed=11, violations=True))
    done = convert(p2j_engine, tmp_path, table)
    written = read_lines(str(done.output))
    rejected = {json.dumps(row[REJECTED_KEY]) for row in read_lines(str(done.rejects))}
    assert done.rows_read == len(written) + done.rows_rejected == 3000
    assert len(rejected) == 4
    types = {field.name: field.type for field in table.schema}
    kept = [row for row in table.to_pylist() if _passes(row)]
    assert len(kept) == len(written)
    for source, line in zip(kept, written, strict=True):
        for name, value in source.items():
            want = expected(value, types[name])
            assert line[name] == want and type(line[name]) is type(want), (name, value, line[name])


def _passes(row: dict[str, Any]) -> bool:
    checks = (
        row["fare_amount"] is None or row["fare_amount"] >= 0,
        row["trip_distance"] is None or row["trip_distance"] >= 0,
        row["passenger_count"] is None or 0 <= row["passenger_count"] <= 9,
        row["tpep_pickup_datetime"] < row["tpep_dropoff_datetime"],
    )
    return all(checks)


def test_spark_and_arrow_write_the_same_lines(spark, tmp_path):
    table = trips(Shape(2500, seed=12, violations=True, old_spelling=True))
    results = {}
    for engine in (SparkEngine(spark), ArrowEngine()):
        done = convert(engine, tmp_path / engine.name, table)
        results[engine.name] = (
            canonical(read_lines(str(done.output))),
            canonical(read_lines(str(done.rejects))),
            done.violations,
            done.schema,
        )
    assert results["spark"] == results["arrow"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda t: t.drop_columns(["fare_amount", "VendorID"]),
            "missing required columns: VendorID, fare_amount",
        ),
        (
            lambda t: t.set_column(10, "fare_amount", pa.array(["12.50"] * len(t))),
            "column 'fare_amount' is string (string); the schema expects number",
        ),
        (
            lambda t: t.set_column(0, "VendorID", pa.array([1.5] * len(t))),
            "column 'VendorID' is double (number); the schema expects integer",
        ),
        (
            lambda t: t.append_column("FARE_AMOUNT", t.column("fare_amount")),
            "columns 'fare_amount' and 'FARE_AMOUNT' differ only by case",
        ),
        (
            lambda t: t.append_column("payload", pa.array([b"\x00"] * len(t))),
            "column 'payload' has type binary, which the JSON contract does not cover",
        ),
    ],
    ids=["missing", "text for a number", "fraction for an integer", "case twins", "binary"],
)
def test_a_file_whose_schema_does_not_fit_is_rejected_with_every_reason(
    p2j_engine, tmp_path, change, problem
):
    done = convert(p2j_engine, tmp_path, change(trips(Shape(20, seed=13))))
    assert done.status == "REJECTED"
    assert problem in str(done.error).replace('"', "'")
    assert not (tmp_path / "out").exists()


def test_unknown_and_absent_optional_columns_are_reported_and_renamed_ones_named(
    p2j_engine, tmp_path
):
    table = trips(Shape(30, seed=14, old_spelling=True)).append_column(
        "driver_rating", pa.array([4.5] * 30)
    )
    done = convert(p2j_engine, tmp_path, table)
    assert done.status == "SUCCEEDED"
    assert done.schema == {
        "unknown_columns": ["driver_rating"],
        "missing_optional_columns": ["cbd_congestion_fee"],
        "renamed_columns": {"airport_fee": "Airport_fee"},
    }
    first = read_lines(str(done.output))[0]
    assert first["driver_rating"] == 4.5 and "Airport_fee" in first and "airport_fee" not in first


def test_a_green_taxi_file_is_rejected_naming_its_missing_columns(p2j_engine, tmp_path):
    done = convert(p2j_engine, tmp_path, green_trips(10))
    assert done.status == "REJECTED"
    assert "missing required columns: tpep_pickup_datetime, tpep_dropoff_datetime" in str(
        done.error
    )


def test_each_quality_rule_counts_its_rows_and_keeps_them_with_their_reasons(p2j_engine, tmp_path):
    table = trips(Shape(40, seed=15))
    fares = table.column("fare_amount").to_pylist()
    fares[5], fares[6] = -1.0, -2.0
    passengers = table.column("passenger_count").to_pylist()
    passengers[6] = 10
    table = table.set_column(10, "fare_amount", pa.array(fares))
    table = table.set_column(3, "passenger_count", pa.array(passengers, pa.int64()))
    done = convert(p2j_engine, tmp_path, table)
    assert done.violations == {
        "fare_amount_negative": 2,
        "trip_distance_negative": 0,
        "passenger_count_out_of_range": 1,
        "tpep_pickup_datetime_not_before_tpep_dropoff_datetime": 0,
    }
    assert [row[REJECTED_KEY] for row in read_lines(str(done.rejects))] == [
        ["fare_amount is negative"],
        ["fare_amount is negative", "passenger_count is outside 0..9"],
    ]
    assert (done.rows_written, done.rows_rejected) == (38, 2)


def test_nanosecond_timestamps_are_rejected_by_both_engines(p2j_engine, tmp_path):
    table = trips(Shape(10, seed=16))
    pickup = table.column("tpep_pickup_datetime").cast(pa.timestamp("ns"))
    source = tmp_path / "in.parquet"
    pq.write_table(table.set_column(1, "tpep_pickup_datetime", pickup), source, version="2.6")
    request = ConversionRequest(
        str(source), None, str(tmp_path / "o.json"), str(tmp_path / "r.json"), "t", TAXI
    )
    done = convert_file(p2j_engine, LocalStorage(), None, request)
    assert done.status == "REJECTED"
    assert "nanosecond" in str(done.error) or "timestamp[ns]" in str(done.error)


def test_a_truncated_file_is_rejected_as_unreadable(p2j_engine, tmp_path):
    whole = tmp_path / "whole.parquet"
    pq.write_table(trips(Shape(100, seed=17)), whole)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-100])
    request = ConversionRequest(
        str(cut), None, str(tmp_path / "o.json"), str(tmp_path / "r.json"), "t", TAXI
    )
    done = convert_file(p2j_engine, LocalStorage(), None, request)
    assert done.status == "REJECTED"
    assert "is not readable Parquet" in str(done.error)
