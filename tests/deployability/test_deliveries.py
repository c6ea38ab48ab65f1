"""Every service-to-service delivery of a stage is allowed by the receiving resource's policy,
only from the stage's own account, and Glue logs into log groups the stacks own."""

from __future__ import annotations

import copy

from shared.deployability.deliveries import deliveries, problems, undeclared
from shared.deployability.stage_templates import StageTemplates


def test_every_delivery_is_allowed_from_this_account_only(stage):
    assert problems(stage) == []


def test_the_wires_are_all_found(dev_stage):
    wires = {
        (d.sender.split("/")[0].rsplit("-", 1)[0], d.request.action) for d in deliveries(dev_stage)
    }
    assert {
        ("glue-applications-monitoring", "sns:Publish"),  # alarms -> alerts topic
        ("glue-applications-monitoring", "kms:GenerateDataKey"),  # ... and its key
        ("glue-applications-file-processor", "lambda:InvokeFunction"),  # rule -> trigger
        ("glue-applications-file-processor", "sqs:SendMessage"),  # rule and destination -> DLQ
        ("glue-infrastructure-catalog", "kms:GenerateDataKey"),  # Glue log groups -> key
    } <= wires


def test_glue_logs_into_the_log_groups_the_stacks_own(stage):
    jobs = list(stage.of_type("AWS::Glue::Job"))
    assert jobs and undeclared(stage, jobs) == []


def planted(stage: StageTemplates, edit) -> StageTemplates:
    """The same stage with one template changed by ``edit(templates)``."""
    changed = StageTemplates(stage.stacks)
    changed.templates = copy.deepcopy(stage.templates)
    edit(changed.templates)
    return changed


def resources_of(templates, kind):
    return [r for t in templates.values() for r in t["Resources"].values() if r["Type"] == kind]


def test_a_topic_policy_without_the_alarms_allow_is_found(dev_stage):
    def drop_alarm_allow(templates):
        for policy in resources_of(templates, "AWS::SNS::TopicPolicy"):
            document = policy["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s
                for s in document["Statement"]
                if s.get("Sid") != "AllowAlarmsOfThisAccountToPublish"
            ]

    found = problems(planted(dev_stage, drop_alarm_allow))
    assert any(
        "alarm" in line
        and "AlertsTopic" in line
        and "cloudwatch.amazonaws.com may not sns:Publish" in line
        for line in found
    ), found


def test_a_rule_target_without_its_invoke_permission_is_found(dev_stage):
    def drop_permissions(templates):
        for template in templates.values():
            template["Resources"] = {
                k: r
                for k, r in template["Resources"].items()
                if r["Type"] != "AWS::Lambda::Permission"
            }

    found = problems(planted(dev_stage, drop_permissions))
    assert any(
        "events.amazonaws.com may not lambda:InvokeFunction" in line
        and "GlueTriggerLambda-dev" in line
        for line in found
    ), found


def test_an_allow_without_source_conditions_is_a_confused_deputy(dev_stage):
    def drop_conditions(templates):
        for policy in resources_of(templates, "AWS::SNS::TopicPolicy"):
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Effect") == "Allow":
                    statement.pop("Condition", None)

    found = problems(planted(dev_stage, drop_conditions))
    assert any("sns:Publish is allowed from any account" in line for line in found), found


def test_a_log_group_key_that_refuses_cloudwatch_logs_is_found(dev_stage):
    def narrow_key(templates):
        for key in resources_of(templates, "AWS::KMS::Key"):
            for statement in key["Properties"]["KeyPolicy"]["Statement"]:
                condition = statement.get("Condition", {}).get("ArnLike", {})
                if "kms:EncryptionContext:aws:logs:arn" in condition:
                    condition["kms:EncryptionContext:aws:logs:arn"] = (
                        "arn:aws:logs:*:*:log-group:/nothing"
                    )

    found = problems(planted(dev_stage, narrow_key))
    assert any(
        "GlueKey" in line and "logs.us-east-1.amazonaws.com may not" in line for line in found
    )


def test_every_log_group_is_encrypted_and_expires(stage):
    groups = list(stage.of_type("AWS::Logs::LogGroup"))
    assert any("/aws-glue/deployments/" in stage.name(g) for g in groups)
    unencrypted = [g.path for g in groups if "KmsKeyId" not in g.properties]
    unbounded = [g.path for g in groups if "RetentionInDays" not in g.properties]
    assert unencrypted == [] and unbounded == []
    names = {stage.name(g) for g in groups}
    unowned = [
        f.path
        for f in stage.of_type("AWS::Lambda::Function")
        if "LoggingConfig" not in f.properties and f"/aws/lambda/{stage.name(f)}" not in names
    ]
    assert unowned == [], "these functions log into groups Lambda creates without expiry"


def test_glue_jobs_install_the_versions_the_tests_ran(stage):
    from shared.constructs.glue_job import tested_versions  # noqa: PLC0415

    for job in stage.of_type("AWS::Glue::Job"):
        arguments = job.properties["DefaultArguments"]
        assert arguments["--additional-python-modules"] == tested_versions()
        assert tested_versions().startswith("pyarrow==")
