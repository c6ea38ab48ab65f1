"""Bronze pages to silver records: each record typed and checked against the contract, the
failing ones kept with every reason, the later of two updates of a key kept."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from applications_repo.medallion.contract import (
    AMOUNT_PRECISION,
    AMOUNT_SCALE,
    CURRENCY,
    DECIMAL,
    FIELDS,
    NEXT_CURSOR_FIELD,
    RECORDS_FIELD,
    STATUS,
    STATUSES,
    TIMESTAMP,
    UPDATED_AT,
)

PAGE, RECORD, REASONS = "_page", "_record", "_reasons"
RECORD_SCHEMA = T.StructType([T.StructField(f.name, T.StringType()) for f in FIELDS])
PAGE_SCHEMA = T.StructType(
    [
        T.StructField(RECORDS_FIELD, T.ArrayType(RECORD_SCHEMA)),
        T.StructField(NEXT_CURSOR_FIELD, T.StringType()),
    ]
)
DECIMAL_TYPE = T.DecimalType(AMOUNT_PRECISION, AMOUNT_SCALE)


@dataclass(frozen=True)
class Cleaned:
    """A run date's records: valid (typed, one per key), rejected (as read, with reasons)."""

    read: int
    valid: DataFrame
    rejected: DataFrame
    duplicates: int
    rejected_count: int


def read_pages(spark: SparkSession, pages: list[tuple[int, str]]) -> DataFrame:
    """Every record of the pages (``(number, Spark path)``), as read, with its page and its
    position in the page."""
    frames = [
        spark.read.schema(PAGE_SCHEMA)
        .option("multiLine", True)
        .json(path)
        .select(F.lit(number).alias(PAGE), F.posexplode(RECORDS_FIELD).alias(RECORD, "r"))
        .select(PAGE, (F.col(RECORD) + 1).alias(RECORD), "r.*")
        for number, path in pages
    ]
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def clean(records: DataFrame, natural_key: str) -> Cleaned:
    """Check, type and de-duplicate ``records``."""
    checked = records.withColumn(REASONS, _reasons())
    rejected = checked.filter(F.size(REASONS) > 0).withColumn(REASONS, F.concat_ws("; ", REASONS))
    typed = checked.filter(F.size(REASONS) == 0).select(
        PAGE, RECORD, *(_typed(f.name, f.kind) for f in FIELDS)
    )
    latest = Window.partitionBy(natural_key).orderBy(
        F.col(UPDATED_AT).desc(), F.col(PAGE).desc(), F.col(RECORD).desc()
    )
    ranked = typed.withColumn("_rank", F.row_number().over(latest)).cache()
    valid = ranked.filter(F.col("_rank") == 1).drop("_rank", PAGE, RECORD)
    read = records.count()
    rejected_count = rejected.count()
    kept = valid.count()
    return Cleaned(
        read=read,
        valid=valid,
        rejected=rejected,
        duplicates=read - rejected_count - kept,
        rejected_count=rejected_count,
    )


def _reasons() -> Column:
    checks: list[Column] = []
    for field in FIELDS:
        value = F.col(field.name)
        blank = value.isNull() | (F.trim(value) == "")
        quoted = F.concat(F.lit(f"{field.name} '"), value, F.lit("'"))
        if field.required:
            checks.append(F.when(blank, F.lit(f"{field.name} is missing")))
        present = ~blank
        if field.kind == DECIMAL:
            number = value.cast(DECIMAL_TYPE)
            checks.append(
                F.when(present & number.isNull(), F.concat(quoted, F.lit(" is not a decimal")))
            )
            checks.append(F.when(present & (number < 0), F.concat(quoted, F.lit(" is negative"))))
        elif field.kind == TIMESTAMP:
            checks.append(
                F.when(
                    present & value.cast(T.TimestampType()).isNull(),
                    F.concat(quoted, F.lit(" is not an ISO-8601 time")),
                )
            )
        elif field.kind == CURRENCY:
            checks.append(
                F.when(
                    present & ~value.rlike("^[A-Z]{3}$"),
                    F.concat(quoted, F.lit(" is not an ISO 4217 currency code")),
                )
            )
        elif field.kind == STATUS:
            checks.append(
                F.when(
                    present & ~value.isin(*STATUSES),
                    F.concat(quoted, F.lit(f" is not one of {', '.join(STATUSES)}")),
                )
            )
    return F.filter(F.array(*checks), lambda reason: reason.isNotNull())


def _typed(name: str, kind: str) -> Column:
    if kind == DECIMAL:
        return F.col(name).cast(DECIMAL_TYPE).alias(name)
    if kind == TIMESTAMP:
        return F.col(name).cast(T.TimestampType()).alias(name)
    return F.col(name)
