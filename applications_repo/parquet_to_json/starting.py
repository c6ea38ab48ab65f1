"""Starting the run of one PENDING item: the orchestrator does it on upload, the sweeper for
items that wait (Glue or Lambda refused the first start), an operator's retry through the
sweeper too.

The start is claimed first (``MetadataTable.claim_start``: a fresh token, only while none is
set), so two deliveries of one event, or the orchestrator and the sweeper, never both start a
run. A file up to ``SINGLE_NODE_MAX_BYTES`` runs on the single-node function (an asynchronous
invocation, run id ``fr_...``), a larger one on the Glue job. When the start is refused
(ConcurrentRunsExceededException, throttling), the claim is given back and the item waits,
PENDING, with the reason: nothing is lost and nothing fails.

Needs only boto3: the orchestrator and the sweeper ship this module.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from applications_repo.parquet_to_json.metadata import FILE_ID, SOURCE, MetadataTable

FUNCTION_RUN_PREFIX = "fr_"
"""Run ids of single-node runs (Glue's are ``jr_...``)."""
STARTED, WAITING, ALREADY_STARTED = "STARTED", "WAITING", "ALREADY_STARTED"


@dataclass(frozen=True)
class StartConfig:
    """What starting a run needs to know (the functions' environment)."""

    job_name: str
    single_node_function: str
    single_node_max_bytes: int
    metadata_table: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> StartConfig:
        return cls(
            job_name=environ["JOB_NAME"],
            single_node_function=environ["SINGLE_NODE_FUNCTION"],
            single_node_max_bytes=int(environ["SINGLE_NODE_MAX_BYTES"]),
            metadata_table=environ["METADATA_TABLE"],
        )


@dataclass(frozen=True)
class StartResult:
    """What became of a start: STARTED (with its run), WAITING (with the refusal) or
    ALREADY_STARTED (another start holds the item)."""

    status: str
    run_id: str | None = None
    runs_on: str | None = None
    reason: str = ""


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def job_arguments(item: Mapping[str, Any], token: str, config: StartConfig) -> dict[str, str]:
    """The run's arguments (the job's defaults add the contract and the batch size)."""
    source_bucket, source_key = split_s3_uri(item[SOURCE])
    output_bucket, output_key = split_s3_uri(item["output_file_path"])
    _, rejects_key = split_s3_uri(item["rejects_file_path"])
    arguments = {
        "--source_bucket": source_bucket,
        "--source_key": source_key,
        "--output_bucket": output_bucket,
        "--output_key": output_key,
        "--rejects_key": rejects_key,
        "--metadata_table": config.metadata_table,
        "--file_id": item[FILE_ID],
        "--start_token": token,
    }
    if item.get("source_version"):
        arguments["--source_version"] = item["source_version"]
    return arguments


def start(
    item: Mapping[str, Any], table: MetadataTable, glue: Any, lambda_: Any, config: StartConfig
) -> StartResult:
    """Claim and start the run of a PENDING item."""
    token = uuid.uuid4().hex
    if not table.claim_start(item[FILE_ID], token, by=config.job_name):
        return StartResult(ALREADY_STARTED)
    arguments = job_arguments(item, token, config)
    try:
        if int(item["file_size_bytes"]) <= config.single_node_max_bytes:
            run_id, runs_on = (
                f"{FUNCTION_RUN_PREFIX}{uuid.uuid4().hex}",
                config.single_node_function,
            )
            lambda_.invoke(
                FunctionName=runs_on,
                InvocationType="Event",
                Payload=json.dumps({"JobRunId": run_id, "Arguments": arguments}).encode(),
            )
        else:
            runs_on = config.job_name
            run_id = glue.start_job_run(JobName=runs_on, Arguments=arguments)["JobRunId"]
    except ClientError as error:
        code = error.response["Error"]["Code"]
        reason = f"{code}: {error.response['Error'].get('Message', '')}".rstrip(": ")
        table.release_start(item[FILE_ID], token, reason)
        return StartResult(WAITING, reason=reason)
    table.record_start(item[FILE_ID], token, run_id, runs_on)
    return StartResult(STARTED, run_id=run_id, runs_on=runs_on)


def start_calls() -> tuple[tuple[str, str], ...]:
    """The AWS calls ``start`` makes (ARN templates over the functions' environment)."""
    return (
        ("glue:StartJobRun", "arn:{partition}:glue:{region}:{account}:job/{env.JOB_NAME}"),
        (
            "lambda:InvokeFunction",
            "arn:{partition}:lambda:{region}:{account}:function:{env.SINGLE_NODE_FUNCTION}",
        ),
    )
