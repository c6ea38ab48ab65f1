"""The engine objects of parquet-to-json, made on demand."""

from __future__ import annotations

from applications_repo.parquet_to_json.job.conversion import Engine


def make_engine(name: str, job_name: str) -> Engine:
    """The engine a run asked for (Spark is imported only when it is used)."""
    if name == "arrow":
        from applications_repo.parquet_to_json.job.arrow_engine import (  # noqa: PLC0415
            ArrowEngine,
        )

        return ArrowEngine()
    from applications_repo.parquet_to_json.job.spark_engine import SparkEngine  # noqa: PLC0415
    from shared.glue.session import get_spark  # noqa: PLC0415

    return SparkEngine(get_spark(job_name))
