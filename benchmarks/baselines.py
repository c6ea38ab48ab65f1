"""The engines FileProcessorV2 is measured against, each the plain way to turn one CSV file
into snappy Parquet with that tool. Run one per process::

    python -m benchmarks.baselines duckdb|pyarrow|spark SOURCE.csv OUTPUT_DIR
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

PARQUET_FILE = "part-0.snappy.parquet"


def duckdb_copy(source: Path, out: Path) -> None:
    """DuckDB's ``COPY``: its CSV sniffer, its parallel reader and Parquet writer."""
    import duckdb  # noqa: PLC0415

    with duckdb.connect() as connection:
        connection.execute(
            "COPY (SELECT * FROM read_csv(?)) TO ? (FORMAT parquet, COMPRESSION snappy)",
            [str(source), str(out / PARQUET_FILE)],
        )


def pyarrow_stream(source: Path, out: Path) -> None:
    """pyarrow's CSV reader (type inference, threads), block by block into its Parquet
    writer, so that memory stays bounded as the file grows."""
    import pyarrow.csv as pacsv  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    reader = pacsv.open_csv(source)
    with pq.ParquetWriter(out / PARQUET_FILE, reader.schema, compression="snappy") as writer:
        for batch in reader:
            writer.write_batch(batch)


def naive_spark(source: Path, out: Path) -> None:
    """What the reference Glue projects do: ``inferSchema`` (a whole extra pass), then write."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession  # noqa: PLC0415

    spark = SparkSession.builder.appName("naive-spark").master("local[*]").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    frame = spark.read.csv(str(source), header=True, inferSchema=True)
    frame.write.mode("overwrite").parquet(str(out / "spark"), compression="snappy")
    spark.stop()


BASELINES = {"duckdb": duckdb_copy, "pyarrow": pyarrow_stream, "spark": naive_spark}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("engine", choices=sorted(BASELINES))
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    BASELINES[args.engine](args.source, args.out)


if __name__ == "__main__":
    main()
