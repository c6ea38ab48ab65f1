"""medallion's state machine: for each run date (one from the schedule, or a list to re-run
or back-fill), ingestion -> data fetched? -> Glue job, run to completion -> crawler, started
and waited for -> cost recorded -> success notification; every failure is caught and sent as
a failure notification with the state, the error and the run date. The execution fails when
any date did."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

if TYPE_CHECKING:
    from applications_repo.medallion.infrastructure import MedallionStack

INGESTION_RETRY_INTERVAL = Duration.seconds(20)
JOB_RETRY_INTERVAL = Duration.minutes(1)
CRAWLER_BUSY_ATTEMPTS = 10
CRAWLER_BUSY_MAX_WAIT = Duration.minutes(5)
"""While another date's crawl runs, the start waits 30 s, 1, 2, 4 minutes, then 5 at most:
about 37 minutes in all, within the execution's hour."""
TASK_MARGIN = Duration.seconds(30)
"""The ingestion task waits this much past the function's own timeout."""
FAILED, SUCCEEDED = "FAILED", "SUCCEEDED"
RUN_DATES = "$.run_dates"


def failure(stack: MedallionStack, state: str, error: str, cause: str) -> sfn.Pass:
    """A Pass that names the failed state for the failure notification; ``error`` and
    ``cause`` are paths or intrinsic functions, or else literal text."""

    def field(name: str, value: str) -> dict[str, str]:
        dynamic = value.startswith(("$", "States."))
        return {f"{name}.$" if dynamic else name: value}

    return sfn.Pass(
        stack,
        f"{state} failed",
        parameters={
            "run_date.$": "$.run_date",
            "state": state,
            **field("error", error),
            **field("cause", cause),
        },
    )


def caught(stack: MedallionStack, state: str) -> sfn.Pass:
    return failure(stack, state, "$.failure.Error", "$.failure.Cause")


def state_machine(
    stack: MedallionStack,
    *,
    ingestion: lambda_.IFunction,
    recorder: lambda_.IFunction,
    topic: sns.ITopic,
    log_group: logs.ILogGroup,
    role: iam.IRole,
) -> sfn.StateMachine:
    """The pipeline's state machine (module docstring)."""
    own, names = stack.own, stack.names
    notify_failure = tasks.SnsPublish(
        stack,
        "Notify failure",
        topic=topic,
        subject=sfn.JsonPath.format(
            "medallion {} failed at {}",
            sfn.JsonPath.string_at("$.run_date"),
            sfn.JsonPath.string_at("$.state"),
        ),
        message=sfn.TaskInput.from_object(
            {
                "run_date": sfn.JsonPath.string_at("$.run_date"),
                "state": sfn.JsonPath.string_at("$.state"),
                "error": sfn.JsonPath.string_at("$.error"),
                "cause": sfn.JsonPath.string_at("$.cause"),
                "execution": sfn.JsonPath.execution_name,
            }
        ),
        result_path=sfn.JsonPath.DISCARD,
    ).next(
        sfn.Pass(
            stack,
            "Date failed",
            parameters={
                "status": FAILED,
                "run_date.$": "$.run_date",
                "state.$": "$.state",
                "error.$": "$.error",
            },
        )
    )
    ingest = tasks.LambdaInvoke(
        stack,
        "Ingest",
        lambda_function=ingestion,
        payload=sfn.TaskInput.from_object(
            {
                "run_date": sfn.JsonPath.string_at("$.run_date"),
                "execution": sfn.JsonPath.string_at("$.execution"),
            }
        ),
        payload_response_only=True,
        result_path="$.ingestion",
        retry_on_service_exceptions=False,
        task_timeout=sfn.Timeout.duration(
            Duration.minutes(own.ingestion_timeout_minutes).plus(TASK_MARGIN)
        ),
    )
    ingest.add_retry(errors=["BadEventError", "DateBusyError"], max_attempts=0)
    ingest.add_retry(
        errors=[sfn.Errors.ALL],
        max_attempts=own.ingestion_retries,
        interval=INGESTION_RETRY_INTERVAL,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    ingest.add_catch(caught(stack, "Ingest").next(notify_failure), result_path="$.failure")
    transform = tasks.GlueStartJobRun(
        stack,
        "Transform",
        glue_job_name=names.job,
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
        arguments=sfn.TaskInput.from_object({"--run_date": sfn.JsonPath.string_at("$.run_date")}),
        result_path="$.glue",
        task_timeout=sfn.Timeout.duration(Duration.minutes(own.job_timeout_minutes)),
    )
    transform.add_retry(
        errors=[sfn.Errors.ALL],
        max_attempts=own.job_retries,
        interval=JOB_RETRY_INTERVAL,
        backoff_rate=2,
    )
    transform.add_catch(caught(stack, "Transform").next(notify_failure), result_path="$.failure")
    n = stack.naming
    crawler_arn = f"arn:{n.partition}:glue:{n.region}:{n.account}:crawler/{names.crawler}"
    start_crawler = tasks.CallAwsService(
        stack,
        "Start crawler",
        service="glue",
        action="startCrawler",
        parameters={"Name": names.crawler},
        iam_resources=[crawler_arn],
        result_path=sfn.JsonPath.DISCARD,
    )
    start_crawler.add_retry(
        errors=["Glue.CrawlerRunningException"],
        max_attempts=CRAWLER_BUSY_ATTEMPTS,
        interval=Duration.seconds(own.crawler_poll_seconds),
        backoff_rate=2,
        max_delay=CRAWLER_BUSY_MAX_WAIT,
    )
    start_crawler.add_catch(
        caught(stack, "Start crawler").next(notify_failure), result_path="$.failure"
    )
    get_crawler = tasks.CallAwsService(
        stack,
        "Get crawler",
        service="glue",
        action="getCrawler",
        parameters={"Name": names.crawler},
        iam_resources=[crawler_arn],
        result_selector={"crawler.$": "$.Crawler"},
        result_path="$.crawl",
    )
    get_crawler.add_catch(
        caught(stack, "Get crawler").next(notify_failure), result_path="$.failure"
    )
    wait = sfn.Wait(
        stack,
        "Wait for crawler",
        time=sfn.WaitTime.duration(Duration.seconds(own.crawler_poll_seconds)),
    )
    record = tasks.LambdaInvoke(
        stack,
        "Record cost",
        lambda_function=recorder,
        payload=sfn.TaskInput.from_object(
            {
                "action": "record",
                "glue": sfn.JsonPath.object_at("$.glue"),
                "ingestion": sfn.JsonPath.object_at("$.ingestion"),
            }
        ),
        payload_response_only=True,
        result_path="$.cost",
    )
    record.add_catch(caught(stack, "Record cost").next(notify_failure), result_path="$.failure")
    notify_success = tasks.SnsPublish(
        stack,
        "Notify success",
        topic=topic,
        subject=sfn.JsonPath.format("medallion {} succeeded", sfn.JsonPath.string_at("$.run_date")),
        message=sfn.TaskInput.from_object(
            {
                "run_date": sfn.JsonPath.string_at("$.run_date"),
                "records": sfn.JsonPath.number_at("$.ingestion.records"),
                "pages": sfn.JsonPath.number_at("$.ingestion.pages"),
                "job_run": sfn.JsonPath.string_at("$.glue.Id"),
                "dpu_hours": sfn.JsonPath.number_at("$.cost.dpu_hours"),
                "cost_usd": sfn.JsonPath.number_at("$.cost.cost_usd"),
                "execution": sfn.JsonPath.execution_name,
            }
        ),
        result_path=sfn.JsonPath.DISCARD,
    ).next(
        sfn.Pass(
            stack,
            "Date succeeded",
            parameters={
                "status": SUCCEEDED,
                "run_date.$": "$.run_date",
                "records.$": "$.ingestion.records",
                "cost_usd.$": "$.cost.cost_usd",
            },
        )
    )
    crawl_failed = failure(
        stack,
        "Crawl",
        "States.Format('Crawl{}', $.crawl.crawler.LastCrawl.Status)",
        "States.Format('crawler {} ended {}', $.crawl.crawler.Name, "
        "$.crawl.crawler.LastCrawl.Status)",
    ).next(notify_failure)
    crawled = (
        sfn.Choice(stack, "Crawler finished?")
        .when(
            sfn.Condition.and_(
                sfn.Condition.string_equals("$.crawl.crawler.State", "READY"),
                sfn.Condition.string_equals("$.crawl.crawler.LastCrawl.Status", "SUCCEEDED"),
            ),
            record.next(notify_success),
        )
        .when(sfn.Condition.string_equals("$.crawl.crawler.State", "READY"), crawl_failed)
        .otherwise(wait)
    )
    no_data = failure(
        stack,
        "Data fetched",
        "NoData",
        "States.Format('the API returned no records for {}', $.run_date)",
    ).next(notify_failure)
    one_date = ingest.next(
        sfn.Choice(stack, "Data fetched?")
        .when(
            sfn.Condition.boolean_equals("$.ingestion.has_data", True),
            transform.next(start_crawler).next(wait).next(get_crawler).next(crawled),
        )
        .otherwise(no_data)
    )
    each_date = sfn.Map(
        stack,
        "Each run date",
        items_path=RUN_DATES,
        max_concurrency=own.backfill_concurrency,
        item_selector={
            "run_date.$": "$$.Map.Item.Value",
            "execution.$": "$$.Execution.Name",
        },
        result_path="$.results",
    )
    each_date.item_processor(one_date)
    outcome = (
        sfn.Choice(stack, "Any date failed?")
        .when(
            sfn.Condition.boolean_equals("$.any_failed", True),
            sfn.Fail(
                stack,
                "Run failed",
                error="RunDatesFailed",
                cause="a run date failed: its failure notification says where and why",
            ),
        )
        .otherwise(sfn.Succeed(stack, "Run succeeded"))
    )
    summarize = sfn.Pass(
        stack,
        "Summarize",
        parameters={
            "results.$": "$.results",
            "any_failed.$": "States.ArrayContains($.results[*].status, 'FAILED')",
        },
    )
    scheduled = sfn.Pass(
        stack,
        "Scheduled date",
        parameters={
            "run_dates.$": "States.Array(States.ArrayGetItem("
            "States.StringSplit($.scheduled_time, 'T'), 0))"
        },
    )
    run = each_date.next(summarize).next(outcome)
    start = (
        sfn.Choice(stack, "Which run dates?")
        .when(sfn.Condition.is_present(RUN_DATES), run)
        .when(sfn.Condition.is_present("$.scheduled_time"), scheduled.next(run))
        .otherwise(
            sfn.Fail(
                stack,
                "No run date",
                error="BadInput",
                cause='start an execution with {"run_dates": ["YYYY-MM-DD", ...]}, or from '
                'the schedule ({"scheduled_time": ...})',
            )
        )
    )
    return sfn.StateMachine(
        stack,
        "Pipeline",
        state_machine_name=names.state_machine,
        definition_body=sfn.DefinitionBody.from_chainable(start),
        role=role,
        timeout=Duration.minutes(own.execution_timeout_minutes),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
    )
