"""The engine objects of FileProcessorV2, made on demand."""

from __future__ import annotations

from applications_repo.file_processor.engine_choice import EngineChoice
from applications_repo.file_processor.job.staging import Engine


def make_engine(choice: EngineChoice, job_name: str) -> Engine:
    """The engine object (Spark starts or joins its session only when chosen)."""
    if choice is EngineChoice.ARROW:
        from applications_repo.file_processor.job.arrow_engine import ArrowEngine  # noqa: PLC0415

        return ArrowEngine()
    from applications_repo.file_processor.job.spark_engine import SparkEngine  # noqa: PLC0415
    from shared.glue.session import get_spark  # noqa: PLC0415

    return SparkEngine(get_spark(job_name))
