"""medallion's stack carries what spec 004 names: the daily 09:00 UTC schedule starting the
state machine; the state machine's order of states, its retries (ingestion 3 with
exponential back-off, Glue 2), timeouts (ingestion 5 minutes, Glue 30, the execution 60) and
its failure notifications, valid by asl-validator; the ingestion function's 512 MB, 5
minutes and 10 concurrent executions; G.1X workers from 2 to 10; the crawler over curated;
the Athena workgroup's encrypted results and the spec's query; raw deleted after 30 days,
curated to Intelligent-Tiering; the alarms and dashboards."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from applications_repo.medallion.application import MEDALLION
from applications_repo.medallion.names import MedallionNames
from shared.config import REPOSITORY_ROOT, StageName
from shared.naming import StageNaming
from tests.cdk.templates import only

ASL_VALIDATOR = REPOSITORY_ROOT / "node_modules" / ".bin" / "asl-validator"


@pytest.fixture(params=list(StageName), ids=lambda s: s.value)
def stage(request):
    return request.param


@pytest.fixture
def medallion(applications, stage):
    naming = StageNaming.of(applications.config, stage)
    return MedallionNames(naming), applications.application_template(stage, MEDALLION.name)


PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}


def text_of(value: Any) -> str:
    """A template string (``Fn::Join`` of literals and references): the partition and the
    functions' ARNs resolved, every other reference written ``<ref>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("Ref") in PSEUDO:
        return PSEUDO[value["Ref"]]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        # the definition's only attributes are its functions' ARNs (tasks' Resource fields)
        logical_id, _ = value["Fn::GetAtt"]
        return f"arn:aws:lambda:us-east-1:000000000000:function:{logical_id}"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(text_of(p) for p in parts)
    return "<ref>"


def definition(template, names: MedallionNames) -> dict[str, Any]:
    machine = only(
        template, "AWS::StepFunctions::StateMachine", {"StateMachineName": names.state_machine}
    )["Properties"]
    return json.loads(text_of(machine["DefinitionString"]))


def states(document: dict[str, Any]) -> dict[str, Any]:
    """Every state, those of the Map's item processor included."""
    found = dict(document["States"])
    for state in document["States"].values():
        if "ItemProcessor" in state:
            found |= states(state["ItemProcessor"])
    return found


def test_the_schedule_starts_the_state_machine_daily_at_nine_utc(medallion):
    names, template = medallion
    schedule = only(template, "AWS::Scheduler::Schedule", {"Name": names.daily_schedule})
    properties = schedule["Properties"]
    assert properties["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert properties["ScheduleExpressionTimezone"] == "Etc/UTC"
    assert json.loads(properties["Target"]["Input"]) == {
        "scheduled_time": "<aws.scheduler.scheduled-time>"
    }
    assert properties["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_each_run_date_goes_ingest_choice_glue_crawler_record_notify(medallion):
    names, template = medallion
    found = states(definition(template, names))
    assert found["Ingest"]["Next"] == "Data fetched?"
    choice = found["Data fetched?"]
    assert choice["Choices"][0]["Variable"] == "$.ingestion.has_data"
    assert choice["Choices"][0]["Next"] == "Transform"
    assert found["Transform"]["Resource"].endswith(":states:::glue:startJobRun.sync")
    assert found["Transform"]["Next"] == "Start crawler"
    assert found["Start crawler"]["Resource"].endswith(":states:::aws-sdk:glue:startCrawler")
    assert found["Get crawler"]["Resource"].endswith(":states:::aws-sdk:glue:getCrawler")
    assert found["Record cost"]["Next"] == "Notify success"
    assert found["Notify success"]["Resource"].endswith(":states:::sns:publish")


def test_retries_and_timeouts_are_the_seeds(medallion):
    names, template = medallion
    document = definition(template, names)
    found = states(document)
    assert document["TimeoutSeconds"] == 3600
    ingest_retries = found["Ingest"]["Retry"]
    assert ingest_retries[0] == {
        "ErrorEquals": ["BadEventError", "DateBusyError"],
        "MaxAttempts": 0,
    }
    assert {k: ingest_retries[1][k] for k in ("MaxAttempts", "BackoffRate", "JitterStrategy")} == {
        "MaxAttempts": 3,
        "BackoffRate": 2,
        "JitterStrategy": "FULL",
    }
    assert found["Ingest"]["TimeoutSeconds"] == 330
    [glue_retry] = found["Transform"]["Retry"]
    assert (glue_retry["MaxAttempts"], glue_retry["BackoffRate"]) == (2, 2)
    assert found["Transform"]["Parameters"]["Timeout"] == 30  # minutes, the run's own timeout
    assert found["Start crawler"]["Retry"][0]["ErrorEquals"] == ["Glue.CrawlerRunningException"]


def test_every_task_s_failure_is_caught_into_a_failure_notification(medallion):
    names, template = medallion
    found = states(definition(template, names))
    tasks = [n for n, s in found.items() if s["Type"] == "Task" and not n.startswith("Notify")]
    for name in tasks:
        [catch] = found[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        assert found[catch["Next"]]["Next"] == "Notify failure"
        assert found[catch["Next"]]["Parameters"]["state"] == name
    assert found["Data fetched failed"]["Parameters"]["error"] == "NoData"
    notify = found["Notify failure"]["Parameters"]
    assert notify["Message"] == {
        "run_date.$": "$.run_date",
        "state.$": "$.state",
        "error.$": "$.error",
        "cause.$": "$.cause",
        "execution.$": "$$.Execution.Name",
    }


def test_a_back_fill_is_a_map_over_dates_with_bounded_concurrency(medallion):
    names, template = medallion
    document = definition(template, names)
    each = document["States"]["Each run date"]
    assert (each["ItemsPath"], each["MaxConcurrency"]) == ("$.run_dates", 3)
    assert document["States"]["Run failed"]["Error"] == "RunDatesFailed"


def test_the_definition_is_valid_asl(medallion, tmp_path):
    names, template = medallion
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition(template, names)))
    checked = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_state_machine_logs_every_execution_and_is_traced(medallion):
    names, template = medallion
    machine = only(
        template, "AWS::StepFunctions::StateMachine", {"StateMachineName": names.state_machine}
    )["Properties"]
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["TracingConfiguration"] == {"Enabled": True}


def test_the_ingestion_function_has_the_seeds_memory_timeout_and_concurrency(medallion):
    names, template = medallion
    function = only(template, "AWS::Lambda::Function", {"FunctionName": names.ingestion})
    properties = function["Properties"]
    assert (properties["MemorySize"], properties["Timeout"]) == (512, 300)
    assert properties["ReservedConcurrentExecutions"] == 10
    assert properties["Runtime"] >= "python3.12"
    assert properties["Environment"]["Variables"]["API_SECRET_NAME"] == names.api_secret


def test_the_glue_job_scales_g1x_workers_from_2_to_10(medallion):
    names, template = medallion
    job = only(template, "AWS::Glue::Job", {"Name": names.job})["Properties"]
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.1X", 10)
    assert job["DefaultArguments"]["--enable-auto-scaling"] == "true"
    assert (job["Timeout"], job["MaxRetries"]) == (30, 0)


def test_the_crawler_registers_curated_in_the_stage_database(medallion):
    names, template = medallion
    crawler = only(template, "AWS::Glue::Crawler", {"Name": names.crawler})["Properties"]
    [target] = crawler["Targets"]["S3Targets"]
    assert target["Path"] == f"s3://{names.gold_bucket}/curated/"
    assert crawler["DatabaseName"] == names.naming.database
    assert crawler["TablePrefix"] == "medallion_"


def test_athena_results_are_encrypted_and_the_seeds_query_is_saved(medallion):
    names, template = medallion
    group = only(template, "AWS::Athena::WorkGroup", {"Name": names.work_group})["Properties"]
    configuration = group["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_S3"
    }
    queries = template.find_resources("AWS::Athena::NamedQuery")
    sql = {q["Properties"]["Name"]: q["Properties"]["QueryString"] for q in queries.values()}
    assert sql["curated-month"] == (
        "SELECT * FROM medallion_curated WHERE year = '2025' AND month = '11' LIMIT 100"
    )


def test_raw_expires_after_30_days_and_curated_moves_to_intelligent_tiering(medallion):
    names, template = medallion
    bronze = only(template, "AWS::S3::Bucket", {"BucketName": names.bronze_bucket})
    rules = bronze["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == 30 for r in rules)
    gold = only(template, "AWS::S3::Bucket", {"BucketName": names.gold_bucket})
    [tiering] = [
        r for r in gold["Properties"]["LifecycleConfiguration"]["Rules"] if r.get("Transitions")
    ]
    assert tiering["Prefix"] == "curated/"
    assert tiering["Transitions"] == [
        {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}
    ]


def test_the_alarms_and_dashboards_of_the_seed_are_on_the_stage(applications, stage):
    names = MedallionNames(StageNaming.of(applications.config, stage))
    monitoring = applications.stage_template(stage, "monitoring")
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in monitoring.find_resources("AWS::CloudWatch::Alarm").values()
    }
    naming = names.naming
    failed = alarms[naming.alarm(names.state_machine, "executions-failed")]
    assert (failed["Namespace"], failed["MetricName"]) == ("AWS/States", "ExecutionsFailed")
    assert alarms[naming.alarm(names.job, "duration-limit")]["Threshold"] == 1800
    assert naming.alarm(names.state_machine, "no-run-today") in alarms
    assert any(names.ingestion in name and "error" in name for name in alarms)
    [dashboard] = monitoring.find_resources("AWS::CloudWatch::Dashboard").values()
    body = text_of(dashboard["Properties"]["DashboardBody"])
    for title in ("medallion: daily executions", "medallion: data quality", "medallion: cost"):
        assert title in body
