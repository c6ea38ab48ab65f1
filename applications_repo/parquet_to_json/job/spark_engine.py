"""The Spark engine (the Glue job, for large files): one pass counts the rows and each rule's
violations, one writes the good rows and one the failing rows with their reasons, as JSON part
files into the run's staging folder; the parts are then streamed, in order, into the one
output file (memory holds one part of the upload), their lines counted for the verification."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from applications_repo.parquet_to_json.contract import Family, NonNegative, Range, Rule
from applications_repo.parquet_to_json.job.conversion import (
    REJECTED_KEY,
    ConversionRequest,
    Counts,
    Engine,
    Progress,
    Source,
    UnreadableFileError,
    applicable_rules,
    first_line,
)
from applications_repo.parquet_to_json.job.schema_plan import FileColumn, SchemaPlan
from applications_repo.parquet_to_json.job.sink import Sink
from shared.glue.storage import S3_SCHEME, Storage, is_spark_side_file, join_uri

TIMESTAMP_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
STAGING = "_staging"
READ_CHUNK = 8 * 1024 * 1024
CAUSE = re.compile(r"Caused by: [\w.$]+: (.+)")
NANOS = "TIMESTAMP(NANOS"
CASE_SENSITIVE = "spark.sql.caseSensitive"


FAMILIES: tuple[tuple[tuple[type[T.DataType], ...], Family], ...] = (
    ((T.ByteType, T.ShortType, T.IntegerType, T.LongType), Family.INTEGER),
    ((T.FloatType, T.DoubleType, T.DecimalType), Family.NUMBER),
    ((T.TimestampType, T.TimestampNTZType), Family.TIMESTAMP),
    ((T.DateType,), Family.DATE),
    ((T.StringType,), Family.STRING),
    ((T.BooleanType,), Family.BOOLEAN),
)


def family_of(data_type: T.DataType) -> Family | None:
    """The contract's family of a Spark type; None for types it does not cover."""
    return next((f for types, f in FAMILIES if isinstance(data_type, types)), None)


def json_value(column: Column, data_type: T.DataType) -> Column:
    """The column as the JSON contract writes it (``json_lines``'s table)."""
    if isinstance(data_type, T.FloatType | T.DoubleType):
        infinite = column.isin(float("inf"), float("-inf"))
        return F.when(F.isnan(column) | infinite, F.lit(None)).otherwise(column)
    if isinstance(data_type, T.DecimalType):
        return column.cast("string")
    if isinstance(data_type, T.TimestampType | T.TimestampNTZType):
        return F.date_format(column, TIMESTAMP_PATTERN)
    if isinstance(data_type, T.DateType):
        return F.date_format(column, "yyyy-MM-dd")
    return column


def broken(rule: Rule, schema: SchemaPlan) -> Column:
    """Whether a row breaks ``rule`` (false where a value is null)."""
    if isinstance(rule, NonNegative):
        condition = F.col(schema.source_of(rule.column)) < 0
    elif isinstance(rule, Range):
        values = F.col(schema.source_of(rule.column))
        condition = (values < rule.low) | (values > rule.high)
    else:
        condition = F.col(schema.source_of(rule.first)) >= F.col(schema.source_of(rule.then))
    return F.coalesce(condition, F.lit(False))


def spark_message(error: BaseException) -> str:
    """The reason inside a Spark error, in one line: its innermost Java cause."""
    text = str(error)
    if NANOS in text:
        return (
            "it has nanosecond timestamps, which the JSON contract does not cover "
            "(microseconds at most)"
        )
    causes = CAUSE.findall(text)
    return causes[-1].strip() if causes else first_line(error)


class SparkSource(Source):
    def __init__(self, spark: SparkSession, storage: Storage, request: ConversionRequest) -> None:
        self.storage = storage
        self.request = request
        path = storage.spark_input(request.source, request.source_version)
        insensitive = spark.conf.get(CASE_SENSITIVE) or "false"
        spark.conf.set(CASE_SENSITIVE, "true")  # the schema check names columns twinned by case
        try:
            self.frame = spark.read.parquet(path)
            self.frame.schema  # noqa: B018 (resolved now, with the setting)
        except Exception as error:  # Spark raises AnalysisException or a Py4J error
            raise UnreadableFileError(spark_message(error)) from None
        finally:
            spark.conf.set(CASE_SENSITIVE, insensitive)
        self.staging = _staging_folder(request)

    def columns(self) -> list[FileColumn]:
        return [
            FileColumn(f.name, f.dataType.simpleString(), family_of(f.dataType))
            for f in self.frame.schema.fields
        ]

    def convert(self, schema: SchemaPlan, good: Sink, bad: Sink, progress: Progress) -> Counts:
        rules = applicable_rules(self.request.contract, schema)
        types = {f.name: f.dataType for f in self.frame.schema.fields}
        values = [json_value(F.col(c.source), types[c.source]).alias(c.key) for c in schema.columns]
        checks = [broken(rule, schema) for rule in rules]
        reasons = F.array_compact(
            F.array(
                *(
                    F.when(check, F.lit(rule.reason))
                    for rule, check in zip(rules, checks, strict=True)
                )
            )
            if rules
            else F.array().cast("array<string>")
        )
        try:
            totals = self.frame.agg(
                F.count(F.lit(1)).alias("rows"),
                *(F.sum(check.cast("long")).alias(f"r{i}") for i, check in enumerate(checks)),
                F.sum((F.size(reasons) > 0).cast("long")).alias("rejected"),
            ).first()
        except Exception as error:  # a page Spark cannot decode
            raise UnreadableFileError(spark_message(error)) from None
        assert totals is not None
        rows, rejected = int(totals["rows"]), int(totals["rejected"] or 0)
        counts = {rule.rule: int(totals[f"r{i}"] or 0) for i, rule in enumerate(rules)}
        progress({"rows_read": rows, "rows_rejected": rejected, "phase": "checked"})
        marked = self.frame.select(*values, reasons.alias(REJECTED_KEY))
        self._write(marked.where(F.size(REJECTED_KEY) == 0).drop(REJECTED_KEY), "good", good)
        progress({"rows_read": rows, "rows_rejected": rejected, "phase": "written"})
        if rejected:
            self._write(marked.where(F.size(REJECTED_KEY) > 0), "bad", bad)
        return Counts(rows_read=rows, rows_rejected=rejected, violations=counts)

    def _write(self, frame: DataFrame, name: str, sink: Sink) -> None:
        folder = join_uri(self.staging, name)
        frame.write.mode("overwrite").option("ignoreNullFields", "false").json(
            self.storage.spark_output(folder)
        )
        self.storage.after_spark_write(folder)
        parts = sorted(uri for uri in self.storage.list(folder) if not is_spark_side_file(uri))
        for part in parts:
            with self.storage.open(part) as stream:
                while chunk := stream.read(READ_CHUNK):
                    sink.write(chunk)

    def close(self) -> None:
        self.storage.delete_prefix(self.staging)


def _staging_folder(request: ConversionRequest) -> str:
    """Beside the outputs: ``s3://bucket/_staging/{run}/`` (expired by the bucket's
    lifecycle if a run dies), or ``.staging-{run}`` beside the output on local disk."""
    if request.output.startswith(S3_SCHEME):
        bucket = request.output[len(S3_SCHEME) :].split("/", 1)[0]
        return f"{S3_SCHEME}{bucket}/{STAGING}/{request.run_id}"
    return join_uri(str(PurePath(request.output).parent), f".staging-{request.run_id}")


class SparkEngine(Engine):
    """Converts on the job's Spark (Glue's, or local)."""

    name = "spark"

    def __init__(self, spark: Any) -> None:
        self.spark = spark

    def open(self, storage: Storage, request: ConversionRequest) -> Source:
        return SparkSource(self.spark, storage, request)
