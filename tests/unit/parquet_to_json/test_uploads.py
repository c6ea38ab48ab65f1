"""Where an upload's rows go, and what makes an upload not Parquet, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from applications_repo.parquet_to_json.uploads import Limits, output_keys, parquet_problem

UPLOADED = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
LIMITS = Limits(12, 10_000_000)


def reader(data: bytes):
    return lambda start, length: data[start : start + length]


@pytest.mark.parametrize(
    ("key", "output", "rejects"),
    [
        (
            "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet",
            "processed-data/2024/01/15/yellow_tripdata_2024-01.json",
            "rejected-data/2024/01/15/yellow_tripdata_2024-01.json",
        ),
        (
            "raw-data/2024/01/15/batch-7/yellow.parquet",
            "processed-data/2024/01/15/batch-7/yellow.json",
            "rejected-data/2024/01/15/batch-7/yellow.json",
        ),
        (
            "trips.PARQUET",
            "processed-data/2026/12/01/trips.json",
            "rejected-data/2026/12/01/trips.json",
        ),
        (
            "raw-data/2024/02/30/x.parquet",
            "processed-data/2026/12/01/raw-data/2024/02/30/x.json",
            "rejected-data/2026/12/01/raw-data/2024/02/30/x.json",
        ),
        (
            "drop/data",
            "processed-data/2026/12/01/drop/data.json",
            "rejected-data/2026/12/01/drop/data.json",
        ),
    ],
    ids=["dated", "dated with folders", "undated", "not a date", "no suffix"],
)
def test_the_output_keys_follow_the_date_of_the_key_or_of_the_upload(key, output, rejects):
    keys = output_keys(key, UPLOADED)
    assert (keys.output, keys.rejects) == (output, rejects)


def test_a_parquet_file_passes(taxi_file):
    assert parquet_problem(len(taxi_file), reader(taxi_file), LIMITS) is None


def test_an_encrypted_parquet_file_is_named_as_such():
    data = b"PARE" + b"\x00" * 20 + b"PARE"
    assert "encrypted Parquet" in str(parquet_problem(len(data), reader(data), LIMITS))


def test_a_file_above_the_maximum_is_rejected_without_reading_it(taxi_file):
    def unread(start: int, length: int) -> bytes:
        raise AssertionError("read")

    problem = parquet_problem(len(taxi_file), unread, Limits(12, 100))
    assert problem == f"is {len(taxi_file)} bytes, outside the limits of 12 to 100 bytes"
