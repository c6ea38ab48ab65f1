"""The stage's monitoring stack: alerts topic, run monitor, alarms, dashboard.

Everything is derived from the applications' definitions, so an application added to the
stage is monitored without changes here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from aws_cdk import CfnElement, Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from shared import metrics as names
from shared.application import Definition, JobStateHandler
from shared.compliance import acknowledge
from shared.config import StageSettings
from shared.constructs.functions import dead_letter_queue, function_target, handler_function
from shared.constructs.logging import LogsKey, encrypted_log_group
from shared.monitoring.definition import monitoring
from shared.monitoring.job_states import FINISHED_STATES
from shared.monitoring.metric_math import lambda_metric, percent, platform_metric, queue_depth
from shared.naming import StageNaming
from shared.registry import RatioAlarm, ThresholdAlarm, Widget

MONITOR_MODULES = ("shared.metrics",)


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
        applications: Sequence[Definition],
        alarms: Sequence[RatioAlarm | ThresholdAlarm] = (),
        widgets: Sequence[Widget] = (),
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
            log_group_pattern=naming.monitor_log_group,
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
        [monitor] = monitoring(naming, settings).job_state_handlers
        self._monitor(monitor)
        jobs = [job for app in applications for job in app.jobs]
        for job in jobs:
            self._job_alarms(job.name, job.emits_row_metrics)
        for app in applications:
            for function_name, dead_letters in app.alarmed_functions:
                self._function_alarms(function_name, dead_letters)
        for function_job in (j for app in applications for j in app.function_jobs):
            self._function_alarms(function_job.function_name, function_job.dead_letter_queue)
            if function_job.emits_row_metrics:
                self._rows_alarm(function_job.function_name)
        for alarm in alarms:
            if isinstance(alarm, RatioAlarm):
                self._ratio_alarm(alarm)
            else:
                self._threshold_alarm(alarm)
        self._dashboard(applications, [monitor], widgets)

    # The run monitor
    def _monitor(self, handler: JobStateHandler) -> None:
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
        log_group_id = self.get_logical_id(cast(CfnElement, log_group.node.default_child))
        acknowledge(
            role,
            "IAM5",
            "The monitor reads the runs of every job of this stage (names end with the stage) "
            "and writes log streams with run-time names into its own log group; publishing to "
            "the encrypted topic needs GenerateDataKey* on the topic's own key.",
            findings=[
                f"Resource::{stage_jobs}",
                f"Resource::<{log_group_id}.Arn>:*",
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
            queue_depth(handler.dead_letter_queue),
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
            percent(
                platform_metric(names.RUNS_FAILED, job, window),
                of_total_with=platform_metric(names.RUNS_SUCCEEDED, job, window),
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
            platform_metric(names.RUN_DURATION_RATIO, job, window, statistic="Maximum"),
            threshold=alarms.duration_factor,
            description=(
                f"A run of {job_name} took more than {alarms.duration_factor}x the average of "
                f"its last {alarms.duration_average_runs} successful runs."
            ),
        )
        if emits_rows:
            self._rows_alarm(job_name)

    def _rows_alarm(self, job_name: str) -> None:
        alarms = self.settings.alarms
        window = Duration.minutes(alarms.evaluation_minutes)
        job = {names.JOB_DIMENSION: job_name}
        self._alarm(
            job_name,
            "rejected-rows",
            percent(
                platform_metric(names.ROWS_REJECTED, job, window),
                of=platform_metric(names.ROWS_READ, job, window),
                period=window,
            ),
            threshold=alarms.rejected_rows_percent,
            description=(
                f"More than {alarms.rejected_rows_percent}% of the rows {job_name} read "
                f"in {alarms.evaluation_minutes} minutes were rejected."
            ),
        )

    def _function_alarms(self, function_name: str, dead_letter_queue: str) -> None:
        alarms = self.settings.alarms
        window = Duration.minutes(alarms.evaluation_minutes)
        function = {"FunctionName": function_name}
        self._alarm(
            function_name,
            "error-rate",
            percent(
                lambda_metric("Errors", function, window),
                of=lambda_metric("Invocations", function, window),
                period=window,
            ),
            threshold=alarms.lambda_error_rate_percent,
            description=(
                f"More than {alarms.lambda_error_rate_percent}% of {function_name}'s "
                f"invocations failed in {alarms.evaluation_minutes} minutes."
            ),
        )
        self._alarm(
            function_name,
            "dead-letters",
            queue_depth(dead_letter_queue),
            threshold=0,
            description=f"Events {function_name} could not handle; nothing is lost.",
        )

    def _threshold_alarm(self, alarm: ThresholdAlarm) -> None:
        name, dimensions = alarm.metric
        self._alarm(
            alarm.subject,
            alarm.what,
            platform_metric(
                name,
                dict(dimensions),
                Duration.minutes(alarm.minutes),
                alarm.statistic,
                namespace=alarm.namespace,
            ),
            threshold=alarm.threshold,
            description=alarm.description,
        )

    def _ratio_alarm(self, alarm: RatioAlarm) -> None:
        window = Duration.minutes(self.settings.alarms.evaluation_minutes)
        self._alarm(
            alarm.subject,
            alarm.what,
            percent(
                platform_metric(alarm.numerator[0], dict(alarm.numerator[1]), window),
                of=platform_metric(alarm.denominator[0], dict(alarm.denominator[1]), window),
                period=window,
            ),
            threshold=alarm.threshold,
            description=alarm.description,
        )

    def _alarm(
        self, subject: str, what: str, metric: cw.IMetric, *, threshold: float, description: str
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            f"{subject}-{what}-alarm",
            metric=metric,
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
    def _dashboard(
        self,
        applications: Sequence[Definition],
        monitors: Sequence[JobStateHandler],
        widgets: Sequence[Widget],
    ) -> None:
        window = Duration.minutes(5)
        jobs = [job.name for app in applications for job in app.jobs]
        functions = [
            *(f for app in applications for f in app.alarmed_functions),
            *(
                (j.function_name, j.dead_letter_queue)
                for app in applications
                for j in app.function_jobs
            ),
        ]
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=self.naming.dashboard)
        dashboard.add_widgets(
            *(
                cw.GraphWidget(
                    title=widget.title,
                    left=[_widget_metric(widget, n, d) for n, d in widget.metrics],
                )
                for widget in widgets
            ),
            cw.GraphWidget(
                title="Runs by state",
                left=[
                    platform_metric(metric, {names.JOB_DIMENSION: job}, window)
                    for job in jobs
                    for metric in (names.RUNS_SUCCEEDED, names.RUNS_FAILED)
                ],
            ),
            cw.GraphWidget(
                title="Run duration (s)",
                left=[
                    platform_metric(
                        names.RUN_SECONDS, {names.JOB_DIMENSION: job}, window, "Maximum"
                    )
                    for job in jobs
                ],
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Rows written and rejected",
                left=[
                    platform_metric(metric, {names.JOB_DIMENSION: name}, window)
                    for app in applications
                    for name in [j.name for j in app.jobs if j.emits_row_metrics]
                    + [j.function_name for j in app.function_jobs if j.emits_row_metrics]
                    for metric in (names.ROWS_WRITTEN, names.ROWS_REJECTED)
                ],
            ),
            cw.GraphWidget(
                title="Lambda errors and throttles",
                left=[
                    lambda_metric(metric, {"FunctionName": name}, window)
                    for name in [name for name, _ in functions]
                    + [m.function_name for m in monitors]
                    for metric in ("Errors", "Throttles")
                ],
            ),
            cw.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    queue_depth(queue)
                    for queue in [queue for _, queue in functions]
                    + [m.dead_letter_queue for m in monitors]
                ],
            ),
        )


def _widget_metric(widget: Widget, name: str, dimensions: Mapping[str, str]) -> cw.Metric:
    period = Duration.minutes(widget.period_minutes)
    return platform_metric(name, dict(dimensions), period, namespace=widget.namespace)
