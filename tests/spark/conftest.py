"""Helpers of the Spark tests: CSV files written on the fly, outputs read back with pyarrow."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from applications_repo.file_processor.job.processor import FileRequest, process_file
from shared.glue.storage import LocalStorage

JOB_NAME = "FileProcessorV2-test"


@pytest.fixture
def run_file(spark, tmp_path):
    """Write ``text`` as a CSV and process it; returns the summary."""

    def run(text: str | bytes, *, name: str = "input.csv", catalog=None, **request):
        # folder named like the file, so that the dataset is the file's name
        source = tmp_path / "in" / Path(name).stem / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(text.encode() if isinstance(text, str) else text)
        return process_file(
            spark,
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


def read_rows(summary) -> list[dict]:
    return pq.read_table(summary.output).to_pylist()


def data_files(summary) -> list[Path]:
    return sorted(Path(summary.output).glob("*.parquet"))


def read_rejects(summary) -> list[dict]:
    if summary.rejects is None:
        return []
    return [json.loads(line) for line in Path(summary.rejects).read_text().splitlines()]
