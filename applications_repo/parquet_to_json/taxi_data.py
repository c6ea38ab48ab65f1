"""Yellow-taxi-shaped Parquet files, made here (no download): the TLC trip records' columns
and types (2024's, or 2023's spelling), plausible values, the nulls real months have, and
rows that break each quality rule where asked. The samples, the tests and the benchmark use
them; ``python -m applications_repo.parquet_to_json.taxi_data`` writes the samples again.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SAMPLES = Path(__file__).with_name("samples")
MICROS = 1_000_000


@dataclass(frozen=True)
class Shape:
    """What a generated file looks like."""

    rows: int
    month: tuple[int, int] = (2024, 1)
    seed: int = 0
    old_spelling: bool = False
    """2023's schema: ``airport_fee`` in lower case, ``passenger_count`` and ``RatecodeID`` as
    doubles, location ids as int64."""
    violations: bool = False
    """Put a negative fare, a negative distance, 12 passengers, a dropoff before its pickup
    and a NaN tip among the first rows."""


def trips(shape: Shape, start: int = 0) -> pa.Table:
    """``shape.rows`` trips (row numbers from ``start``, for files made in pieces)."""
    rng = np.random.default_rng([shape.seed, start])
    n = shape.rows
    year, month = shape.month
    first = int(datetime(year, month, 1, tzinfo=UTC).timestamp()) * MICROS
    pickup = first + rng.integers(0, 28 * 86_400, n) * MICROS + rng.integers(0, 1000, n)
    minutes = rng.gamma(2.0, 7.0, n)
    dropoff = pickup + (minutes * 60 * MICROS).astype(np.int64)
    distance = np.round(minutes * rng.uniform(0.15, 0.4, n), 2)
    fare = np.round(3.0 + distance * 2.5 + minutes * 0.7, 2)
    tip = np.round(fare * rng.choice([0.0, 0.15, 0.2, 0.25], n), 2)
    tolls = np.where(rng.random(n) < 0.05, 6.94, 0.0)
    passengers = rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 0], n).astype(np.int64)
    missing = rng.random(n) < 0.03
    airport = np.where(rng.random(n) < 0.08, 1.75, 0.0)
    congestion = np.where(rng.random(n) < 0.9, 2.5, 0.0)
    total = np.round(fare + 1.0 + 0.5 + tip + tolls + 1.0 + congestion + airport, 2)
    if shape.violations:
        fare[0], distance[1], passengers[2] = -12.5, -0.3, 12
        dropoff[3] = pickup[3] - 60 * MICROS
        tip = tip.astype(np.float64)
        tip[4] = np.nan
    integer = pa.int64() if shape.old_spelling else pa.int32()
    count = pa.float64() if shape.old_spelling else pa.int64()
    flag = np.where(rng.random(n) < 0.01, "Y", "N")
    columns = {
        "VendorID": pa.array(rng.choice([1, 2], n), integer),
        "tpep_pickup_datetime": pa.array(pickup, pa.timestamp("us")),
        "tpep_dropoff_datetime": pa.array(dropoff, pa.timestamp("us")),
        "passenger_count": pa.array(passengers, count, mask=missing),
        "trip_distance": pa.array(distance),
        "RatecodeID": pa.array(rng.choice([1, 1, 1, 2, 5], n), count, mask=missing),
        "store_and_fwd_flag": pa.array(flag, pa.large_string(), mask=missing),
        "PULocationID": pa.array(rng.integers(1, 266, n), integer),
        "DOLocationID": pa.array(rng.integers(1, 266, n), integer),
        "payment_type": pa.array(rng.choice([1, 1, 2, 3, 4], n), pa.int64()),
        "fare_amount": pa.array(fare),
        "extra": pa.array(np.full(n, 1.0)),
        "mta_tax": pa.array(np.full(n, 0.5)),
        "tip_amount": pa.array(tip),
        "tolls_amount": pa.array(tolls),
        "improvement_surcharge": pa.array(np.full(n, 1.0)),
        "total_amount": pa.array(total),
        "congestion_surcharge": pa.array(congestion, mask=missing),
        ("airport_fee" if shape.old_spelling else "Airport_fee"): pa.array(airport, mask=missing),
    }
    return pa.table(columns)


def write(path: Path, shape: Shape, *, row_group_rows: int = 1_000_000) -> Path:
    """A Parquet file of ``shape`` (Snappy, row groups of ``row_group_rows``, as TLC's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pieces = _pieces(shape, row_group_rows)
    first = next(pieces)
    with pq.ParquetWriter(path, first.schema, compression="snappy") as writer:
        writer.write_table(first)
        for piece in pieces:
            writer.write_table(piece)
    return path


def write_until(path: Path, shape: Shape, size_bytes: int) -> int:
    """Row groups of ``shape.rows`` trips until the file holds ``size_bytes``; its rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with pq.ParquetWriter(path, trips(Shape(1, shape.month)).schema, compression="snappy") as w:
        while path.stat().st_size < size_bytes:
            w.write_table(trips(shape, start=rows))
            rows += shape.rows
    return rows


def _pieces(shape: Shape, rows_per_piece: int) -> Iterator[pa.Table]:
    for start in range(0, shape.rows, rows_per_piece):
        rows = min(rows_per_piece, shape.rows - start)
        piece = Shape(rows, shape.month, shape.seed, shape.old_spelling, shape.violations)
        yield trips(piece if not start else replace(piece, violations=False), start)


SAMPLE_FILES: dict[str, Shape] = {
    "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet": Shape(
        5_000, (2024, 1), seed=1, violations=True
    ),
    "raw-data/2024/02/15/yellow_tripdata_2023-12.parquet": Shape(
        3_000, (2023, 12), seed=2, old_spelling=True
    ),
}
"""The generated samples, by their key in the source bucket (see samples/README.md)."""


def green_trips(rows: int) -> pa.Table:
    """A green taxi file: ``lpep_`` timestamps where the yellow schema has ``tpep_``."""
    table = trips(Shape(rows, (2024, 4), seed=3))
    names = [n.replace("tpep_", "lpep_") for n in table.column_names]
    return table.rename_columns(names)


def write_samples(folder: Path = SAMPLES) -> list[Path]:
    """Every sample file: the two valid months, a green taxi file (its schema is rejected),
    a truncated upload and a CSV named .parquet (both rejected at upload)."""
    written = [write(folder / key, shape) for key, shape in SAMPLE_FILES.items()]
    green = folder / "raw-data/2024/04/15/green_tripdata_2024-04.parquet"
    green.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(green_trips(500), green, compression="snappy")
    whole = write(folder / "truncated.tmp", Shape(500, (2024, 3), seed=4))
    truncated = folder / "raw-data/2024/03/15/yellow_tripdata_2024-03.parquet"
    truncated.parent.mkdir(parents=True, exist_ok=True)
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    csv = folder / "raw-data/2024/03/16/trips-exported-as-csv.parquet"
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_text("VendorID,tpep_pickup_datetime,fare_amount\n2,2024-03-16 08:01:00,12.5\n")
    return [*written, green, truncated, csv]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=SAMPLES)
    for path in write_samples(parser.parse_args().folder):
        print(path)


if __name__ == "__main__":
    main()
