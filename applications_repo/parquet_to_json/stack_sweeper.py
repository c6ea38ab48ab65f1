"""The sweeper's function, role and schedule, as parquet-to-json deploys it over its table
(and an application that builds on it, over its own)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from shared.application import ServiceFunction
from shared.constructs.functions import dead_letter_queue, handler_function
from shared.constructs.shared_roles import allow
from shared.naming import StageNaming

SWEEPER_TIMEOUT = Duration.minutes(5)
EVENT_MAX_AGE = Duration.hours(6)

Role = Callable[..., tuple[iam.IRole, Any]]
"""``(construct_id, role_name, function_name, does, statements) -> (role, log group)``: the
stack's role of one function (``lambda_role`` with the stack's key and retention)."""


@dataclass(frozen=True)
class Sweep:
    """What one sweeper sweeps: its role's name, the Glue job whose runs it reads, the
    statements on its table and starts, and its schedule."""

    role_name: str
    job: str
    statements: Sequence[iam.PolicyStatement]
    schedule: str
    minutes: int
    description: str
    modules: Sequence[str]


def sweeper_function(
    stack: Stack, naming: StageNaming, sweeper: ServiceFunction, sweep: Sweep, role: Role
) -> lambda_.Function:
    """The sweeper function, its dead-letter queue and its rate schedule (``{"action":
    "sweep"}`` every ``sweep.minutes``)."""
    dead_letters = dead_letter_queue(
        stack,
        "SweeperDeadLetterQueue",
        sweeper.dead_letter_queue,
        holds="the scheduled sweeps that failed after their retries",
    )
    function_role, log_group = role(
        "Sweeper",
        sweep.role_name,
        sweeper.function_name,
        "starts waiting runs and fails stuck ones",
        [
            *sweep.statements,
            allow("ReadGlueRuns", ["glue:GetJobRun"], [naming.glue_job_arn(sweep.job)]),
            allow(
                "SendFailedRunsToDeadLetterQueue",
                ["sqs:SendMessage"],
                [naming.queue_arn(sweeper.dead_letter_queue)],
            ),
        ],
    )
    function = handler_function(
        stack,
        "SweeperFunction",
        sweeper,
        description=sweep.description,
        role=function_role,
        log_group=log_group,
        dead_letters=dead_letters,
        modules=sweep.modules,
        timeout=SWEEPER_TIMEOUT,
        max_event_age=EVENT_MAX_AGE,
    )
    rule = events.Rule(
        stack,
        "SweepSchedule",
        rule_name=sweep.schedule,
        description=f"Every {sweep.minutes} minutes, {sweeper.function_name} sweeps.",
        schedule=events.Schedule.rate(Duration.minutes(sweep.minutes)),
    )
    rule.add_target(
        targets.LambdaFunction(
            function,
            event=events.RuleTargetInput.from_object({"action": "sweep"}),
            dead_letter_queue=dead_letters,
            retry_attempts=2,
            max_event_age=EVENT_MAX_AGE,
        )
    )
    return function
