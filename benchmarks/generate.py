"""Seeded CSV files of a realistic shape, cached under benchmarks/data/.

Orders with mixed types: integers, exact decimals, doubles, booleans, dates, timestamps,
quoted strings (some with commas and doubled quotes) and some empty values. Written by
pyarrow in blocks, so that a 2 GB file takes seconds and little memory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

DATA_DIR = Path(__file__).parent / "data"
SEED = 20261121
ROWS_PER_BLOCK = 50_000
MB = 1_000_000
CUSTOMERS = np.array(
    ["Acme Corp", "Globex", 'Initech, "The" Company', "Umbrella", "Hooli", "Stark Industries",
     "Wayne Enterprises", "Soylent, Inc.", "Cyberdyne", "Tyrell"]
)  # fmt: skip
COUNTRIES = np.array(["DE", "FR", "US", "BR", "IN", "JP", "ZA", "SE", "MX", "AU"])


def _block(rng: np.random.Generator, start: int, rows: int) -> pa.Table:
    ids = np.arange(start, start + rows, dtype=np.int64)
    seconds = rng.integers(1_700_000_000, 1_790_000_000, rows)
    null = rng.random(rows) < 0.03
    notes = np.where(
        rng.random(rows) < 0.5, "", np.char.add("note #", rng.integers(0, 10_000, rows).astype(str))
    )
    return pa.table(
        {
            "order_id": ids,
            "customer": pa.array(CUSTOMERS[rng.integers(0, len(CUSTOMERS), rows)]),
            "country": pa.array(COUNTRIES[rng.integers(0, len(COUNTRIES), rows)]),
            "quantity": pa.array(rng.integers(1, 500, rows), mask=null),
            "unit_price": pc.cast(
                pa.array(np.round(rng.uniform(0.5, 999.99, rows), 2)), pa.decimal128(10, 2)
            ),
            "discount_rate": pa.array(rng.random(rows) / 10, mask=rng.random(rows) < 0.1),
            "paid": pa.array(rng.random(rows) < 0.7),
            "order_date": pc.cast(pa.array(seconds * 1000, pa.timestamp("ms")), pa.date32()),
            "shipped_at": pa.array(seconds + rng.integers(3600, 864000, rows), pa.timestamp("s")),
            "notes": pa.array(notes),
        }
    )


def generate(size_mb: int, directory: Path = DATA_DIR) -> Path:
    """The cached file of about ``size_mb`` MB (10^6 bytes), made if missing."""
    path = directory / f"orders-{size_mb}mb-seed{SEED}.csv"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    partial = path.with_suffix(".partial")
    start = 0
    with pa.OSFile(str(partial), "wb") as sink:
        table = _block(rng, start, ROWS_PER_BLOCK)
        with pacsv.CSVWriter(sink, table.schema) as writer:
            while True:
                writer.write_table(table)
                start += ROWS_PER_BLOCK
                written = sink.tell()
                if written >= size_mb * MB:
                    break
                table = _block(rng, start, ROWS_PER_BLOCK)
    partial.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="+", type=int, help="sizes in MB")
    for size in parser.parse_args().sizes:
        print(generate(size))


if __name__ == "__main__":
    main()
