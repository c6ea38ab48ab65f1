"""Helpers of the Spark tests: CSV files written on the fly, outputs read back with pyarrow."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from applications_repo.file_processor.job.arrow_engine import ArrowEngine
from applications_repo.file_processor.job.processor import FileRequest, process_file
from applications_repo.file_processor.job.spark_engine import SparkEngine
from shared.glue.storage import LocalStorage

JOB_NAME = "FileProcessorV2-test"


ENGINES = ("spark", "arrow")


@pytest.fixture(params=ENGINES)
def engine(request, spark):
    """Each engine in turn: every behaviour holds for both."""
    return SparkEngine(spark) if request.param == "spark" else ArrowEngine()


@pytest.fixture
def run_file(engine, tmp_path):
    """Write ``text`` as a CSV and process it with the engine; returns the summary."""

    def run(text: str | bytes, *, name: str = "input.csv", catalog=None, **request):
        # folder named like the file, so that the dataset is the file's name
        source = tmp_path / "in" / Path(name).stem / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(text.encode() if isinstance(text, str) else text)
        return process_file(
            engine,
            LocalStorage(),
            FileRequest(
                source_uri=str(source),
                source_version=None,
                output_root=str(tmp_path / "out"),
                job_name=JOB_NAME,
                run_id=uuid.uuid4().hex[:8],
                **request,
            ),
            catalog,
        )

    return run


SPARK_SCHEMA_KEY = b"org.apache.spark.sql.parquet.row.metadata"


def header_names(schema) -> dict[str, str]:
    """Column -> header name, from the footer: Arrow field metadata, or Spark's schema."""
    names = {f.name: f.metadata[b"source_name"].decode() for f in schema if f.metadata}
    if names:
        return names
    spark_schema = json.loads(schema.metadata[SPARK_SCHEMA_KEY])
    return {
        f["name"]: f["metadata"]["source_name"]
        for f in spark_schema["fields"]
        if "source_name" in f["metadata"]
    }


def read_rows(summary) -> list[dict]:
    return pq.read_table(summary.output).to_pylist()


def data_files(summary) -> list[Path]:
    return sorted(Path(summary.output).glob("*.parquet"))


def read_rejects(summary) -> list[dict]:
    if summary.rejects is None:
        return []
    return [json.loads(line) for line in Path(summary.rejects).read_text().splitlines()]
