"""Column types from a sample: the narrowest type every value fits, else string."""

from __future__ import annotations

import re

import pytest

from applications_repo.file_processor.job.type_inference import ColumnType, Kind, infer_type


@pytest.mark.parametrize(
    ("values", "spark_sql"),
    [
        (["1", "-2", "+3"], "bigint"),
        (["10.50", "3", "-0.25"], "decimal(38,2)"),
        (["1.5e3", "2"], "double"),
        (["true", "False", "YES", "n"], "boolean"),
        (["2024-01-31", "1999-12-01"], "date"),
        (["31/01/2024", "01/02/2024"], "date"),
        (
            ["2024-01-31 10:00:00", "2024-01-31T10:00:00.123+01:00", "2024-02-01T00:00Z"],
            "timestamp",
        ),
        (["99999999999999999999"], "decimal(38,0)"),
        (["a", "1"], "string"),
        (["007", "12"], "string"),
        (["01/02/2024", "02/01/2024"], "string"),
        (["2024-02-30"], "date"),
        ([], "string"),
        (["", "NULL", "n/a", "#N/A"], "string"),
    ],
)
def test_inferred_types(values, spark_sql):
    assert infer_type(values).spark_sql == spark_sql


def test_null_tokens_are_ignored_when_inferring():
    assert infer_type(["", "NULL", "42", None]).kind is Kind.INTEGER


def test_day_first_and_month_first_are_told_apart_by_the_values():
    assert infer_type(["13/01/2024"]).date_format == "dd/MM/yyyy"
    assert infer_type(["01/13/2024"]).date_format == "MM/dd/yyyy"


@pytest.mark.parametrize(
    ("column_type", "good", "bad"),
    [
        (ColumnType(Kind.INTEGER), ["12", "-3"], ["1.5", "1e3", "x"]),
        (ColumnType(Kind.DECIMAL, scale=2), ["1.25", "3", ".5"], ["1.255", "1,000"]),
        (ColumnType(Kind.DATE, date_format="yyyy-MM-dd"), ["2024-01-31"], ["31/01/2024"]),
        (ColumnType(Kind.TIMESTAMP), ["2024-01-31 10:00:00"], ["yesterday"]),
    ],
)
def test_value_patterns_accept_only_values_of_the_type(column_type, good, bad):
    pattern = re.compile(column_type.value_pattern)
    assert all(pattern.fullmatch(v) for v in good)
    assert not any(pattern.fullmatch(v) for v in bad)
