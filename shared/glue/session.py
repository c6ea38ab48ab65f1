"""The SparkSession of a job: the one Glue runs, or a local one tuned for this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

LOG_CONFIGURATION = Path(__file__).with_name("log4j2.properties")

# Settings for a session this module creates itself (locally; Glue brings its own session).
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.csv.parser.columnPruning.enabled": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.driver.memory": "2g",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIGURATION}",
}
# Settings every job needs, applied to whichever session it gets.
JOB_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.csv.parser.columnPruning.enabled": "false",
    "spark.sql.parquet.compression.codec": "snappy",
}


def get_spark(app_name: str = "glue-job") -> SparkSession:
    """The active session (Glue's, or one made earlier), else a new local one.

    The same call gets the session under AWS Glue, in ``gdp`` and in the tests.
    """
    active = SparkSession.getActiveSession()
    if active is None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Python workers (mapInArrow) run this interpreter, with this environment's packages.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder.appName(app_name).master(
            os.environ.get("GDP_SPARK_MASTER", "local[*]")
        )
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
        active = builder.getOrCreate()
        active.sparkContext.setLogLevel("ERROR")
    for key, value in JOB_SETTINGS.items():
        active.conf.set(key, value)
    return active
