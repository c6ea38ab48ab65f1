"""The Lambda entry point of a function job (``shared.application.FunctionJob``): one run of
a job script, as a Glue run of the same script would do it.

The event is ``{"JobRunId": "...", "Arguments": {"--name": "value"}}``. The function's
environment names the script (``JOB_SCRIPT``) and its default arguments
(``JOB_DEFAULT_ARGUMENTS``, JSON); the event's arguments win over the defaults, and
``--JOB_NAME`` (the function's name) and ``--JOB_RUN_ID`` are added, as Glue adds them. The
script's ``report(argv)`` does the work; its report is logged and returned with the run id.
A FAILED run raises, so that Lambda retries it and then hands it to the dead-letter queue.

Bundled with the script, the packages it imports and Powertools; standard library otherwise.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib import import_module
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

SCRIPT_VARIABLE = "JOB_SCRIPT"
ARGUMENTS_VARIABLE = "JOB_DEFAULT_ARGUMENTS"
RUN_ID = "JobRunId"
ARGUMENTS = "Arguments"

logger = Logger(service="function-job")


class FunctionJobFailedError(RuntimeError):
    """The run FAILED: raised so that Lambda retries it, then dead-letters it."""


class BadRunEventError(ValueError):
    """The invocation's event is not a run: no ``JobRunId``, or arguments that are not text."""


def job_argv(event: Mapping[str, Any], environ: Mapping[str, str], job_name: str) -> list[str]:
    """The script's ``argv`` for one run: default arguments, the event's, then Glue's own."""
    run_id = event.get(RUN_ID)
    given = event.get(ARGUMENTS, {})
    if not isinstance(run_id, str) or not run_id:
        raise BadRunEventError(f"the event has no {RUN_ID}: {json.dumps(event)[:200]}")
    if not isinstance(given, Mapping) or not all(
        isinstance(k, str) and k.startswith("--") and isinstance(v, str) for k, v in given.items()
    ):
        raise BadRunEventError(f"{ARGUMENTS} must map --names to text: {json.dumps(given)[:200]}")
    arguments = {**json.loads(environ.get(ARGUMENTS_VARIABLE, "{}")), **given}
    arguments.update({"--JOB_NAME": job_name, "--JOB_RUN_ID": run_id})
    argv = [environ[SCRIPT_VARIABLE]]
    for name, value in arguments.items():
        argv += [name, value]
    return argv


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run the script on the event's arguments; its report, with ``JobRunId``."""
    argv = job_argv(event, os.environ, context.function_name)
    run_id = event[RUN_ID]
    logger.append_keys(job_run_id=run_id, script=os.environ[SCRIPT_VARIABLE])
    report = import_module(os.environ[SCRIPT_VARIABLE]).report(argv)
    outcome = {RUN_ID: run_id, **report.to_dict()}
    if report.failed:
        logger.error("run failed; Lambda retries it", extra={"error": report.error})
        raise FunctionJobFailedError(f"{run_id}: {report.error}")
    logger.info("run ended", extra={"report": outcome})
    return outcome
