"""Monitoring, in dev and prod: every log group's retention and encryption, every alarm's
metric, threshold, period and actions, the alerts topic, the run monitor's wiring, the
dashboard."""

from __future__ import annotations

import json

import pytest

from applications_repo.file_processor.application import FILE_PROCESSOR
from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.legislators.names import LegislatorsNames
from shared.config import StageName
from shared.constructs.functions import LAMBDA_RUNTIME
from shared.naming import Concern, StageNaming

STAGES = list(StageName)


def stage_resources(synthesized, stage: StageName, kind: str) -> list[dict]:
    marker = f"/Deploy-{stage.value.capitalize()}/"
    return [
        resource["Properties"]
        for stack in synthesized.stacks
        if marker in stack.construct_path
        for resource in stack.template["Resources"].values()
        if resource["Type"] == kind
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_every_platform_log_group_keeps_its_days_and_is_encrypted(
    infrastructure, applications, stage
):
    settings = infrastructure.config.stages.get(stage)
    n = StageNaming.of(infrastructure.config, stage)
    groups = {
        g["LogGroupName"]: g
        for app in (infrastructure, applications)
        for g in stage_resources(app, stage, "AWS::Logs::LogGroup")
        if isinstance(g.get("LogGroupName"), str)
    }
    expected = {
        FileProcessorNames(n).trigger_log_group: settings.logs.lambda_retention_days,
        n.monitor_log_group: settings.logs.lambda_retention_days,
        **dict.fromkeys(n.glue_log_groups, settings.logs.glue_retention_days),
    }
    assert set(expected) <= set(groups)
    for name, days in expected.items():
        assert groups[name]["RetentionInDays"] == days, name
        assert "KmsKeyId" in groups[name], name
    assert {14, 30} == set(expected.values())


def alarms(applications, stage) -> dict[str, dict]:
    return {
        a["AlarmName"]: a for a in stage_resources(applications, stage, "AWS::CloudWatch::Alarm")
    }


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_follow_the_config_and_notify_the_alerts_topic(applications, stage):
    n = StageNaming.of(applications.config, stage)
    thresholds = applications.config.stages.get(stage).alarms
    found = alarms(applications, stage)
    period = thresholds.evaluation_minutes * 60
    expected = {
        n.alarm(FileProcessorNames(n).job, "failure-rate"): (
            thresholds.job_failure_rate_percent,
            "100 * p / (p + w)",
        ),
        n.alarm(LegislatorsNames(n).job, "failure-rate"): (
            thresholds.job_failure_rate_percent,
            "100 * p / (p + w)",
        ),
        n.alarm(FileProcessorNames(n).job, "rejected-rows"): (
            thresholds.rejected_rows_percent,
            "100 * p / w",
        ),
        n.alarm(FileProcessorNames(n).trigger_function, "error-rate"): (
            thresholds.lambda_error_rate_percent,
            "100 * p / w",
        ),
        n.alarm(FileProcessorNames(n).trigger_function, "rejected-files"): (
            FILE_PROCESSOR.context(applications.config, stage).app.rejected_files_percent,
            "100 * p / w",
        ),
    }
    for name, (threshold, expression) in expected.items():
        alarm = found[name]
        assert alarm["Threshold"] == threshold, name
        [math] = [m for m in alarm["Metrics"] if "Expression" in m]
        assert expression in math["Expression"], name
        assert {m["MetricStat"]["Period"] for m in alarm["Metrics"] if "MetricStat" in m} == {
            period
        }
    for job in (FileProcessorNames(n).job, LegislatorsNames(n).job):
        duration = found[n.alarm(job, "duration")]
        assert duration["MetricName"] == "JobRunDurationRatio"
        assert duration["Threshold"] == thresholds.duration_factor == 2
        assert duration["Statistic"] == "Maximum" and duration["Period"] == period
    for function, queue in (
        (FileProcessorNames(n).trigger_function, FileProcessorNames(n).dead_letter_queue),
        (n.monitor_function, n.monitor_dead_letter_queue),
    ):
        dead = found[n.alarm(function, "dead-letters")]
        assert dead["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert dead["Dimensions"] == [{"Name": "QueueName", "Value": queue}]
        assert dead["Threshold"] == 0 and dead["ComparisonOperator"] == "GreaterThanThreshold"
    for name, alarm in found.items():
        assert (
            alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": topic_id(applications, stage)}]
        ), name
        assert alarm["TreatMissingData"] == "notBreaching", name


def topic_id(applications, stage) -> str:
    n = StageNaming.of(applications.config, stage)
    template = applications.stage_template(stage, Concern.MONITORING)
    [(logical_id, _)] = template.find_resources(
        "AWS::SNS::Topic", {"Properties": {"TopicName": n.alerts_topic}}
    ).items()
    return logical_id


@pytest.mark.parametrize("stage", STAGES)
def test_the_alerts_topic_is_encrypted_and_tls_only(applications, stage):
    template = applications.stage_template(stage, Concern.MONITORING)
    [topic] = template.find_resources("AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    [policy] = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)
    [key] = template.find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    principals = json.dumps(key["Properties"]["KeyPolicy"])
    assert "cloudwatch.amazonaws.com" in principals


@pytest.mark.parametrize("stage", STAGES)
def test_finished_runs_of_the_stage_reach_the_monitor(applications, stage):
    n = StageNaming.of(applications.config, stage)
    template = applications.stage_template(stage, Concern.MONITORING)
    [rule] = [
        r
        for r in stage_resources(applications, stage, "AWS::Events::Rule")
        if r["Name"] == n.job_state_rule
    ]
    assert rule["EventPattern"] == {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {
            "jobName": [{"suffix": f"-{stage.value}"}],
            "state": ["ERROR", "FAILED", "STOPPED", "SUCCEEDED", "TIMEOUT"],
        },
    }
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": n.monitor_function,
            "Runtime": LAMBDA_RUNTIME.name,
            "Environment": {"Variables": {"ALERTS_TOPIC_ARN": n.topic_arn(n.alerts_topic)}},
        },
    )


@pytest.mark.parametrize("stage", STAGES)
def test_the_dashboard_shows_own_counts_runs_durations_rows_errors_and_dead_letters(
    applications, stage
):
    n = StageNaming.of(applications.config, stage)
    [dashboard] = stage_resources(applications, stage, "AWS::CloudWatch::Dashboard")
    assert dashboard["DashboardName"] == n.dashboard
    body = json.dumps(dashboard["DashboardBody"])
    for title in (
        "Files in",
        "Runs by state",
        "Run duration (s)",
        "Rows written and rejected",
        "Lambda errors and throttles",
        "Dead-letter queue depth",
    ):
        assert title in body
