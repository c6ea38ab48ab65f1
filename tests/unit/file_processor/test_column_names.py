"""Header names become valid, unique, lower snake_case Parquet and Athena names."""

from __future__ import annotations

import pytest

from applications_repo.file_processor.job.column_names import (
    MAX_NAME_LENGTH,
    clean_name,
    clean_names,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Customer ID", "customer_id"),
        ("customerId", "customer_id"),
        ("HTTPServer", "http_server"),
        ("  Total  (USD) ", "total_usd"),
        ("e-mail/address", "e_mail_address"),
        ("Culmen Length (mm)", "culmen_length_mm"),
        ("2024 Sales", "col_2024_sales"),
        ("Größe", "grosse"),
        ("Café", "cafe"),
        ("select", "select_"),
        ("Date", "date_"),
    ],
)
def test_one_name(raw, expected):
    assert clean_name(raw, 1) == expected


def test_names_with_nothing_usable_are_named_by_position():
    assert clean_names(["", "名前", "***", "id"]) == ["column_1", "column_2", "column_3", "id"]


def test_duplicates_differing_by_case_or_punctuation_get_suffixes_in_header_order():
    assert clean_names(["Name", "name", "NAME", "na-me", "Na Me"]) == [
        "name",
        "name_2",
        "name_3",
        "na_me",
        "na_me_2",
    ]


def test_metadata_and_partition_columns_are_never_taken_by_source_columns():
    assert clean_names(["processed_at", "Source File", "ingest_date"]) == [
        "processed_at_2",
        "source_file_2",
        "ingest_date_2",
    ]


def test_long_names_are_cut_and_stay_unique():
    names = clean_names(["a" * 300, "a" * 301])
    assert all(len(n) <= MAX_NAME_LENGTH for n in names)
    assert len(set(names)) == 2
