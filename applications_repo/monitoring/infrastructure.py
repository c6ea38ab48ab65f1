"""The stage's monitoring stack: alerts topic, run monitor, alarms, dashboard.

Everything is derived from the applications' definitions, so an application added to the
stage is monitored without changes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from applications_repo.monitoring.runtime.run_monitor import FINISHED_STATES
from shared import metrics as names
from shared.application import Application, JobStateHandler, ObjectCreatedHandler
from shared.compliance import acknowledge
from shared.config import StageSettings
from shared.constructs.functions import dead_letter_queue, function_target, handler_function
from shared.constructs.logging import LogsKey, encrypted_log_group
from shared.naming import StageNaming

MONITOR_MODULES = ("shared.metrics",)
DEAD_LETTER_PERIOD = Duration.minutes(5)


class MonitoringStack(Stack):
    """Alarms on every job and function of the stage's applications, the run monitor that
    turns "Glue Job State Change" events into metrics and alerts, one encrypted alerts topic
    (alarm and OK actions, failure alerts), and a dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        naming: StageNaming,
        settings: StageSettings,
        applications: Sequence[Application],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.naming = naming
        self.settings = settings
        self.key = LogsKey(
            self,
            "MonitoringKey",
            naming=naming,
            alias=naming.alerts_key_alias,
            description=f"Encrypts the alerts and the run monitor's logs ({naming.stage}).",
            log_group_pattern=naming.run_monitor_log_group,
        )
        alarms_of_this_account = {
            "StringEquals": {"aws:SourceAccount": naming.account},
            "ArnLike": {"aws:SourceArn": naming.alarm_arn("*")},
        }
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=alarms_of_this_account,
            )
        )
        self.topic = sns.Topic(
            self,
            "AlertsTopic",
            topic_name=naming.alerts_topic,
            display_name=f"Glue data platform alerts ({naming.stage})",
            master_key=self.key,
            enforce_ssl=True,
        )
        # A topic policy replaces SNS's default one, which let the account's alarms publish.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsOfThisAccountToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=alarms_of_this_account,
            )
        )
        for address in settings.notification_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(address))
        self.alarms: list[cw.Alarm] = []
        for handler in (h for app in applications for h in app.job_state_handlers):
            self._run_monitor(handler)
        jobs = [job for app in applications for job in app.jobs]
        for job in jobs:
            self._job_alarms(job.name, job.emits_row_metrics)
        for handler in (h for app in applications for h in app.handlers):
            self._trigger_alarms(handler)
        self._dashboard(applications)

    # The run monitor
    def _run_monitor(self, handler: JobStateHandler) -> None:
        n = self.naming
        log_group = encrypted_log_group(
            self,
            "RunMonitorLogGroup",
            name=f"/aws/lambda/{handler.function_name}",
            days=self.settings.logs.lambda_retention_days,
            key=self.key,
        )
        queue = dead_letter_queue(
            self,
            "RunMonitorDeadLetterQueue",
            handler.dead_letter_queue,
            holds="the events the run monitor could not handle after its retries",
        )
        role = iam.Role(
            self,
            "RunMonitorRole",
            role_name=f"{handler.function_name}-role",
            description=f"Runs {handler.function_name}: reads Glue runs, publishes alerts.",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        stage_jobs = n.glue_job_arn(f"*{handler.job_name_suffix}")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadStageJobRuns",
                actions=["glue:GetJobRun", "glue:GetJobRuns"],
                resources=[stage_jobs],
            )
        )
        log_group.grant_write(role)
        self.topic.grant_publish(role)
        queue.grant_send_messages(role)
        acknowledge(
            role,
            "IAM5",
            "The monitor reads the runs of every job of this stage (names end with the stage) "
            "and writes log streams with run-time names into its own log group; publishing to "
            "the encrypted topic needs GenerateDataKey* on the topic's own key.",
            findings=[
                f"Resource::{stage_jobs}",
                f"Resource::<{self.get_logical_id(log_group.node.default_child)}.Arn>:*",
                "Action::kms:GenerateDataKey*",
            ],
        )
        function = handler_function(
            self,
            "RunMonitorFunction",
            handler,
            description="Metrics and alerts for every finished Glue run of the stage.",
            role=role,
            log_group=log_group,
            dead_letters=queue,
            modules=MONITOR_MODULES,
        )
        rule = events.Rule(
            self,
            "JobStateRule",
            rule_name=n.job_state_rule,
            description=f"Finished runs of the Glue jobs of the {n.stage} stage.",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={
                    "jobName": [{"suffix": handler.job_name_suffix}],
                    "state": sorted(FINISHED_STATES),
                },
            ),
        )
        rule.add_target(function_target(function, queue))
        self._alarm(
            handler.function_name,
            "dead-letters",
            _queue_depth(handler.dead_letter_queue),
            threshold=0,
            description=f"Finished-run events {handler.function_name} could not handle.",
        )

    # Alarms
    def _job_alarms(self, job_name: str, emits_rows: bool) -> None:
        alarms = self.settings.alarms
        window = Duration.minutes(alarms.evaluation_minutes)
        job = {names.JOB_DIMENSION: job_name}
        self._alarm(
            job_name,
            "failure-rate",
            _percent(
                _platform(names.RUNS_FAILED, job, window),
                of_total_with=_platform(names.RUNS_SUCCEEDED, job, window),
                period=window,
            ),
            threshold=alarms.job_failure_rate_percent,
            description=(
                f"More than {alarms.job_failure_rate_percent}% of {job_name}'s runs failed in "
                f"{alarms.evaluation_minutes} minutes."
            ),
        )
        self._alarm(
            job_name,
            "duration",
            _platform(names.RUN_DURATION_RATIO, job, window, statistic="Maximum"),
            threshold=alarms.duration_factor,
            description=(
                f"A run of {job_name} took more than {alarms.duration_factor}x the average of "
                f"its last {alarms.duration_average_runs} successful runs."
            ),
        )
        if emits_rows:
            self._alarm(
                job_name,
                "rejected-rows",
                _percent(
                    _platform(names.ROWS_REJECTED, job, window),
                    of=_platform(names.ROWS_READ, job, window),
                    period=window,
                ),
                threshold=alarms.rejected_rows_percent,
                description=(
                    f"More than {alarms.rejected_rows_percent}% of the rows {job_name} read "
                    f"in {alarms.evaluation_minutes} minutes were rejected."
                ),
            )

    def _trigger_alarms(self, handler: ObjectCreatedHandler) -> None:
        alarms = self.settings.alarms
        window = Duration.minutes(alarms.evaluation_minutes)
        function = {"FunctionName": handler.function_name}
        self._alarm(
            handler.function_name,
            "error-rate",
            _percent(
                _lambda("Errors", function, window),
                of=_lambda("Invocations", function, window),
                period=window,
            ),
            threshold=alarms.lambda_error_rate_percent,
            description=(
                f"More than {alarms.lambda_error_rate_percent}% of {handler.function_name}'s "
                f"invocations failed in {alarms.evaluation_minutes} minutes."
            ),
        )
        self._alarm(
            handler.function_name,
            "dead-letters",
            _queue_depth(handler.dead_letter_queue),
            threshold=0,
            description=f"Events {handler.function_name} could not handle; no file is lost.",
        )
        service = {names.SERVICE_DIMENSION: handler.logger_name}
        self._alarm(
            handler.function_name,
            "rejected-files",
            _percent(
                _platform(names.FILES_REJECTED, service, window),
                of=_platform(names.FILES_RECEIVED, service, window),
                period=window,
            ),
            threshold=alarms.rejected_files_percent,
            description=(
                f"More than {alarms.rejected_files_percent}% of the files uploaded in "
                f"{alarms.evaluation_minutes} minutes were rejected."
            ),
        )

    def _alarm(
        self, subject: str, what: str, metric: cw.IMetric, *, threshold: float, description: str
    ) -> cw.Alarm:
        alarm = metric.create_alarm(
            self,
            f"{subject}-{what}-alarm",
            alarm_name=self.naming.alarm(subject, what),
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    # Dashboard
    def _dashboard(self, applications: Sequence[Application]) -> None:
        window = Duration.minutes(5)
        jobs = [job.name for app in applications for job in app.jobs]
        handlers = [h for app in applications for h in app.handlers]
        monitors = [h for app in applications for h in app.job_state_handlers]
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=self.naming.dashboard)
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Files in",
                left=[
                    _platform(metric, {names.SERVICE_DIMENSION: h.logger_name}, window)
                    for h in handlers
                    for metric in (names.FILES_RECEIVED, names.FILES_ACCEPTED, names.FILES_REJECTED)
                ],
            ),
            cw.GraphWidget(
                title="Runs by state",
                left=[
                    _platform(metric, {names.JOB_DIMENSION: job}, window)
                    for job in jobs
                    for metric in (names.RUNS_SUCCEEDED, names.RUNS_FAILED)
                ],
            ),
            cw.GraphWidget(
                title="Run duration (s)",
                left=[
                    _platform(names.RUN_SECONDS, {names.JOB_DIMENSION: job}, window, "Maximum")
                    for job in jobs
                ],
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Rows written and rejected",
                left=[
                    _platform(metric, {names.JOB_DIMENSION: job.name}, window)
                    for app in applications
                    for job in app.jobs
                    if job.emits_row_metrics
                    for metric in (names.ROWS_WRITTEN, names.ROWS_REJECTED)
                ],
            ),
            cw.GraphWidget(
                title="Lambda errors and throttles",
                left=[
                    _lambda(metric, {"FunctionName": name}, window)
                    for name in [h.function_name for h in handlers]
                    + [m.function_name for m in monitors]
                    for metric in ("Errors", "Throttles")
                ],
            ),
            cw.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    _queue_depth(queue)
                    for queue in [h.dead_letter_queue for h in handlers]
                    + [m.dead_letter_queue for m in monitors]
                ],
            ),
        )


def _platform(
    name: str, dimensions: dict[str, str], period: Duration, statistic: str = "Sum"
) -> cw.Metric:
    return cw.Metric(
        namespace=names.NAMESPACE,
        metric_name=name,
        dimensions_map=dimensions,
        period=period,
        statistic=statistic,
    )


def _lambda(name: str, dimensions: dict[str, str], period: Duration) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/Lambda",
        metric_name=name,
        dimensions_map=dimensions,
        period=period,
        statistic="Sum",
    )


def _queue_depth(queue_name: str) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions_map={"QueueName": queue_name},
        period=DEAD_LETTER_PERIOD,
        statistic="Maximum",
    )


def _percent(
    part: cw.Metric,
    *,
    of: cw.Metric | None = None,
    of_total_with: cw.Metric | None = None,
    period: Duration,
) -> cw.MathExpression:
    """``part`` in percent of ``of``, or of ``part`` plus ``of_total_with``; 0 when nothing
    happened in the period."""
    other = of if of is not None else of_total_with
    total = "w" if of is not None else "(p + w)"
    return cw.MathExpression(
        expression=f"IF({total} > 0, 100 * p / {total}, 0)",
        using_metrics={"p": part, "w": other},
        period=period,
    )
