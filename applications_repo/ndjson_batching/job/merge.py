"""The batch job's Spark work: NDJSON files in, one Parquet dataset and its rejects out.

- Each file is read whole (files are at most 20 MB) and split into lines, so every line keeps
  its file and its line number; blank lines are skipped.
- A line that is not a JSON object (malformed JSON, an array, a number) is rejected with its
  file, line number and reason.
- **The schema rule** (docs/ndjson-batching.md). Within a batch, Spark's JSON inference over
  all its files: a key any file has is a column (null where a line lacks it); a nested object
  is a struct; integers widen to double when any value has a fraction; values of conflicting
  types make the column a string; keys that differ only by case are one column. Across
  batches, the catalog table's columns win: a key the
  table does not have yet becomes a new column; a column whose type differs from the table's
  is cast to the table's type (anything to string as its JSON text), and a line whose value
  cannot be cast is rejected, naming the column, the value and the table's type.
- The rows are written as Snappy Parquet files of about ``target_bytes`` each, their number
  computed from the measured size of a written sample, not guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shared.glue.catalog import CatalogColumn

FILE_INDEX = "_gdp_file"
LINE = "_gdp_line"
TEXT = "_gdp_text"
CORRUPT = "_gdp_corrupt"
REASON = "_gdp_reason"
SAMPLE_ROWS = 20_000
SHOWN_CHARS = 200
INDEX_PATTERN = r"(\d+)\.ndjson$"
CASE_SENSITIVE = "spark.sql.caseSensitive"


def staged_name(index: int) -> str:
    """The name a batch's ``index``-th file is staged as (how its rows are traced back)."""
    return f"{index:05d}.ndjson"


@dataclass(frozen=True)
class Merged:
    """A batch's lines, parsed and conformed once (and kept: every use reads them again)."""

    lines: DataFrame
    columns: tuple[str, ...]

    @property
    def rows(self) -> DataFrame:
        """The accepted lines' values, with their file and line."""
        return self.lines.filter(F.col(REASON).isNull()).select(FILE_INDEX, LINE, *self.columns)

    @property
    def rejects(self) -> DataFrame:
        """The rejected lines: file, line, reason and the start of the text."""
        return self.lines.filter(F.col(REASON).isNotNull()).select(
            FILE_INDEX, LINE, REASON, F.substring(TEXT, 1, SHOWN_CHARS).alias("value")
        )

    def counts_by_file(self) -> dict[int, tuple[int, int]]:
        """``file index -> (rows, rejected lines)``, in one pass."""
        counts = self.lines.groupBy(FILE_INDEX).agg(
            F.count(F.when(F.col(REASON).isNull(), 1)).alias("rows"),
            F.count(REASON).alias("rejected"),
        )
        return {row[FILE_INDEX]: (row["rows"], row["rejected"]) for row in counts.collect()}

    def release(self) -> None:
        self.lines.unpersist()


def read_lines(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    """``(file index, line number, text)`` of every non-blank line of the staged files."""
    whole = spark.read.text(list(paths), wholetext=True)
    indexed = whole.select(
        F.regexp_extract(F.input_file_name(), INDEX_PATTERN, 1).cast("int").alias(FILE_INDEX),
        F.posexplode(F.split("value", "\n")).alias("position", TEXT),
    )
    return indexed.select(
        FILE_INDEX,
        (F.col("position") + 1).alias(LINE),
        # a line's CR (Windows endings) and the file's UTF-8 byte order mark are not text
        F.regexp_replace(F.regexp_replace(TEXT, "\r$", ""), "^\ufeff", "").alias(TEXT),
    ).filter(F.trim(TEXT) != "")


def merge(
    spark: SparkSession, paths: Sequence[str], table_columns: Sequence[CatalogColumn] | None
) -> Merged:
    """Parse the staged files' lines and conform them to the table's columns: one frame of
    every line with its values and, for a rejected line, the reason."""
    fields = _inferred_fields(spark, paths)
    schema = T.StructType([*fields, T.StructField(CORRUPT, T.StringType())])
    record = F.from_json(TEXT, schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})
    # keys are matched as written (Name and name are two fields); the cast renames them by
    # position, so that each can be read without ambiguity
    positional = T.StructType(
        [T.StructField(f"_gdp_f{i}", f.dataType) for i, f in enumerate(fields)]
        + [T.StructField(CORRUPT, T.StringType())]
    )
    parsed = read_lines(spark, paths).withColumn("record", record.cast(positional))
    is_object = F.trim(F.col(TEXT)).startswith("{")
    not_parsed = (
        F.when(~is_object, F.lit("not a JSON object"))
        .when(F.col(f"record.{CORRUPT}").isNotNull(), F.lit("not valid JSON"))
        .when(F.col("record").isNull(), F.lit("not valid JSON"))
    )
    values = parsed.select(FILE_INDEX, LINE, TEXT, not_parsed.alias(REASON), *_one_per_key(fields))
    columns, not_cast = conform(values.schema, table_columns or [])
    reason = F.coalesce(F.col(REASON), not_cast)
    lines = values.select(
        FILE_INDEX,
        LINE,
        # the text is kept for the rejects only: the accepted lines are their values
        F.when(reason.isNotNull(), F.substring(TEXT, 1, SHOWN_CHARS)).alias(TEXT),
        reason.alias(REASON),
        *columns,
    )
    names = tuple(lines.columns[4:])
    return Merged(lines=lines.persist(), columns=names)


def _inferred_fields(spark: SparkSession, paths: Sequence[str]) -> list[T.StructField]:
    """The top-level keys of every line, as Spark infers them, with keys that differ only by
    case kept apart (Spark's case-insensitive inference would drop one's values)."""
    previous = spark.conf.get(CASE_SENSITIVE) or "false"
    spark.conf.set(CASE_SENSITIVE, "true")
    try:
        inferred = spark.read.json(list(paths)).schema
    finally:
        spark.conf.set(CASE_SENSITIVE, previous)
    return [f for f in inferred.fields if f.name != "_corrupt_record"]


def _one_per_key(fields: Sequence[T.StructField]) -> list[Column]:
    """A column per key, keys that differ only by case merged into one named by the spelling
    that sorts first (inference sorts the keys; a string column when their types differ)."""
    groups: dict[str, list[int]] = {}
    for index, found in enumerate(fields):
        groups.setdefault(found.name.lower(), []).append(index)
    columns = []
    for indexes in groups.values():
        members = [F.col(f"record._gdp_f{i}") for i in indexes]
        if len({fields[i].dataType for i in indexes}) > 1:
            members = [
                _cast(member, fields[i].dataType, "string")
                for member, i in zip(members, indexes, strict=True)
            ]
        columns.append(F.coalesce(*members).alias(fields[indexes[0]].name))
    return columns


def conform(
    schema: T.StructType, table_columns: Sequence[CatalogColumn]
) -> tuple[list[Column], Column]:
    """The columns of ``schema``'s values: the table's first (cast to the table's types),
    then its own new ones; and the reason a line's value could not be cast (null if it could)."""
    own = {
        f.name.lower(): f for f in schema.fields if f.name not in (FILE_INDEX, LINE, TEXT, REASON)
    }
    selected: list[Column] = []
    problems: list[Column] = []
    for column in table_columns:
        found = own.pop(column.name.lower(), None)
        if found is None:
            selected.append(F.lit(None).cast(column.type).alias(column.name))
            continue
        source = F.col(f"`{found.name}`")
        if found.dataType.simpleString() == column.type:
            selected.append(source.alias(column.name))
            continue
        cast = _cast(source, found.dataType, column.type)
        selected.append(cast.alias(column.name))
        problems.append(
            F.when(
                source.isNotNull() & cast.isNull(),
                F.concat(
                    F.lit(f"field {column.name}: value "),
                    F.substring(
                        F.regexp_extract(
                            F.to_json(F.struct(source.alias("v"))), r"^\{\"v\":(.*)\}$", 1
                        ),
                        1,
                        SHOWN_CHARS,
                    ),
                    F.lit(f" is not {column.type} (the table's type)"),
                ),
            )
        )
    selected += [F.col(f"`{f.name}`") for f in own.values()]
    return selected, F.coalesce(*problems) if problems else F.lit(None).cast("string")


def _cast(source: Column, own_type: T.DataType, table_type: str) -> Column:
    if table_type == "string" and isinstance(own_type, T.StructType | T.ArrayType | T.MapType):
        return F.to_json(source)
    return source.cast(table_type)


def catalog_columns(rows: DataFrame) -> list[CatalogColumn]:
    """The rows' data columns, as catalog columns."""
    return [
        CatalogColumn(f.name, f.dataType.simpleString())
        for f in rows.schema.fields
        if f.name not in (FILE_INDEX, LINE)
    ]


def file_count(
    rows: DataFrame,
    total_rows: int,
    target_bytes: int,
    write_sample: Callable[[DataFrame], int],
) -> int:
    """How many files of about ``target_bytes`` the rows make: a sample is written and its
    bytes measured (``write_sample`` returns them)."""
    if total_rows == 0:
        return 0
    sample_rows = min(total_rows, SAMPLE_ROWS)
    sample_bytes = write_sample(rows.limit(sample_rows).coalesce(1))
    per_row = sample_bytes / sample_rows
    return max(1, math.ceil(total_rows * per_row / target_bytes))


def data_only(rows: DataFrame) -> DataFrame:
    return rows.drop(FILE_INDEX, LINE)


def in_files(rows: DataFrame, files: int) -> DataFrame:
    """The rows in ``files`` partitions (one file each): partitions merged where there are
    more (no shuffle: the read's partitions are already even in bytes), else spread."""
    if files <= rows.rdd.getNumPartitions():
        return rows.coalesce(files)
    return rows.repartition(files)


def reject_frame(
    spark: SparkSession, rejects: DataFrame, sources: Mapping[int, tuple[str, str | None]]
) -> DataFrame:
    """The rejected lines with the file they came from (its URI and version), in order."""
    files = spark.createDataFrame(
        [(index, uri, version) for index, (uri, version) in sources.items()],
        f"{FILE_INDEX} int, source string, version_id string",
    )
    return (
        rejects.join(F.broadcast(files), FILE_INDEX)
        .orderBy(FILE_INDEX, LINE)
        .select(
            "source",
            "version_id",
            F.col(LINE).alias("line"),
            F.col(REASON).alias("reason"),
            "value",
        )
    )
