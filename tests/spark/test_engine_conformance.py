"""Both engines give the same result: on the same corpus, the same status, counts, rejects,
schema, values and metadata columns (processed_at aside, which is the time of each run)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from applications_repo.file_processor.definition import SAMPLES
from applications_repo.file_processor.job.arrow_engine import ArrowEngine
from applications_repo.file_processor.job.processor import FileRequest, process_file
from applications_repo.file_processor.job.spark_engine import SparkEngine
from shared.glue.storage import LocalStorage
from tests.spark.conftest import data_files, read_rejects

WRITTEN_CASES = {
    "typed.csv": (
        "id,amount,paid,day,at,score,note\n"
        '1,10.50,yes,2026-01-31,2026-01-31 10:00:00,1.5e2,"a, b"\n'
        "2,-3,N,2026-02-01,2026-02-01T11:30:00Z,2,\n"
        "3,NULL,t,2026-02-02,2026-02-02T12:00:00+01:00,,NULL\n"
    ),
    "ragged.csv": "id,n\n1,2\n2,3,4\n\n3\n4,5\n",
    "bad-values.csv": "id,n\n" + "".join(f"{i},{i}\n" for i in range(60)) + "x,1\n61,1.5\n",
    "quoted.csv": 'id,t\n1,"two\r\nlines"\n2,"say ""hi"""\n3,"x\n",y\n',
    "latin.csv": "id,city\n1,Zürich\n".encode("latin-1"),
    "bom.csv": codecs.BOM_UTF8 + "id,näme\r\n1,Jürgen\r\n".encode(),
    "dates.csv": "d,e\n31/01/2026,01/13/2026\n01/02/2026,12/31/2026\n",
    "header-only.csv": "a,b\n",
    # Values Arrow's casts would read but the rule refuses (and the other way round), and
    # Arrow's own null words, which are values here.
    "edges.csv": (
        "id,code,qty,price,ratio,day,at\n"
        "1,DE,5,1.25,1.5e2,2026-01-31,2026-01-31 10:00:00\n"
        "2,FR,-7,2.50,2.5e-1,2026-02-01,2026-02-01T11:30\n"
        "3,NA,+5,3.00,1E3,2026-03-01,2026-03-01 09:00:00.123456\n"
        "4,NaN,0x10,1.00,2,2026-03-02,2026-03-02 10:00:00\n"
        "5, null ,7,1e5,3,2026-03-03,2026-03-03 10:00:00\n"
        "6,#N/A,8,1.5,inf,2026-03-04,2026-03-04 10:00:00\n"
        "7,n/a,9,1.5,NaN,2026-03-05,2026-03-05 10:00:00\n"
        "8,-1.#IND,10,007.5,4,2026-02-30,2026-03-06 10:00:00\n"
        "9,N/A,11,1.5,4,2026-03-07,2026-03-07T10\n"
        "10,  NULL  ,12,1.5,1.,2026-03-08,2026-03-08 10:00:00Z\n"
        "11,Null,-0,.5,-.5e1,2026-03-09,2026-03-09\n"
    ),
}


def corpus(tmp_path: Path) -> list[Path]:
    files = sorted(p for p in SAMPLES.rglob("*.csv"))
    for name, content in WRITTEN_CASES.items():
        path = tmp_path / "written" / Path(name).stem / name
        path.parent.mkdir(parents=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        files.append(path)
    return files


def run(engine, source: Path, out: Path):
    return process_file(
        engine,
        LocalStorage(),
        FileRequest(str(source), None, str(out), "FileProcessorV2-test", "run", sample_bytes=200),
    )


def rows(summary) -> list[tuple]:
    table = pq.read_table(summary.output)
    keep = [name for name in table.column_names if name != "processed_at"]
    return sorted(tuple(str(v) for v in row.values()) for row in table.select(keep).to_pylist())


@pytest.fixture(scope="module")
def results(spark, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("conformance")
    out = {}
    for source in corpus(tmp_path):
        out[source.name] = (
            run(SparkEngine(spark), source, tmp_path / "spark"),
            run(ArrowEngine(), source, tmp_path / "arrow"),
        )
    return out


def test_the_corpus_covers_every_outcome(results):
    statuses = {spark.status for spark, _ in results.values()}
    assert {"SUCCEEDED", "REJECTED"} <= {str(s) for s in statuses}
    assert any(spark.rows_rejected for spark, _ in results.values())


def test_same_status_counts_and_rejects(results):
    for name, (spark, arrow) in results.items():
        assert (spark.status, spark.error) == (arrow.status, arrow.error), name
        assert (spark.rows_read, spark.rows_written, spark.rows_rejected) == (
            arrow.rows_read,
            arrow.rows_written,
            arrow.rows_rejected,
        ), name
        assert read_rejects(spark) == read_rejects(arrow), name
        assert spark.columns == arrow.columns, name


def test_same_schema_values_and_metadata_columns(results):
    for name, (spark, arrow) in results.items():
        if spark.output is None:
            continue
        spark_schema = pq.read_schema(data_files(spark)[0])
        arrow_schema = pq.read_schema(data_files(arrow)[0])
        assert [(f.name, str(f.type)) for f in spark_schema] == [
            (f.name, str(f.type)) for f in arrow_schema
        ], name
        assert rows(spark) == rows(arrow), name
