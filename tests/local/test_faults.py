"""Under a fault plan the local runtime fails as AWS sometimes does: invocations raise, are
cut mid-way with what they did kept, are throttled and retried; Glue refuses runs; DynamoDB
throttles and S3 answers 503 (the SDK retries both); events come twice, late or out of
order; a consumed message comes back. The chaos run (``gdp chaos``) is built on these."""

from __future__ import annotations

import json

import pytest

from shared.local import faults
from shared.local.faults import Fault, FaultPlan
from shared.local.functions import FunctionError
from tests.local.templates import (
    RETURNS_EVENT,
    bucket,
    eventbridge_bucket,
    events_permission,
    function,
    object_rule_pattern,
    queue,
    role,
    rule,
    template,
)

PUTS_THREE = (
    "import boto3\n"
    "def handler(event, context):\n"
    "    s3 = boto3.client('s3')\n"
    "    for n in range(3):\n"
    "        s3.put_object(Bucket='probe-out', Key=f'{event[\"n\"]}/{n}', Body=b'x')\n"
    "    return 'done'\n"
)
COUNTS_MESSAGES = (
    "import boto3\n"
    "def handler(event, context):\n"
    "    for record in event['Records']:\n"
    "        boto3.client('s3').put_object(Bucket='probe-out',"
    " Key=f\"{record['body']}/{record['messageId']}-{context.aws_request_id}\", Body=b'x')\n"
)


def always(fault: Fault) -> FaultPlan:
    return FaultPlan(seed=7, rates={fault: 1.0})


def written(stage, prefix=""):
    listed = stage.session.client("s3").list_objects_v2(Bucket="probe-out", Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def writer():
    return template(
        Role=role(),
        Out=bucket("probe-out"),
        Writer=function(PUTS_THREE, FunctionName="probe-writer"),
    )


def test_an_invocation_cut_mid_way_times_out_and_keeps_what_it_did(stage_of):
    with stage_of(writer()) as stage, faults.installed(always(Fault.LAMBDA_TIMEOUT)) as plan:
        with pytest.raises(FunctionError) as failed:
            stage.functions.invoke("probe-writer", {"n": 1}, source="test")
        kept = written(stage)
    assert failed.value.error_type == "Sandbox.Timedout"
    budget = plan.draw(Fault.LAMBDA_TIMEOUT, faults.stable_key("probe-writer", {"n": 1}), 1, 4)
    assert kept == [f"1/{n}" for n in range(min(budget, 3))]
    assert plan.injected[Fault.LAMBDA_TIMEOUT] == 1


def test_an_injected_error_fails_the_invocation_before_its_handler_runs(stage_of):
    with stage_of(writer()) as stage, faults.installed(always(Fault.LAMBDA_ERROR)):
        with pytest.raises(FunctionError, match="injected"):
            stage.functions.invoke("probe-writer", {"n": 2}, source="test")
        assert written(stage) == []


def test_a_throttled_asynchronous_invocation_is_retried_without_spending_an_attempt(stage_of):
    plan = FaultPlan(seed=3, rates={Fault.LAMBDA_THROTTLED: 0.5})
    with stage_of(writer()) as stage, faults.installed(plan):
        invocations = [
            stage.functions.invoke_async("probe-writer", {"n": n}, source="test") for n in range(8)
        ]
        stage.wait()
        kept = written(stage)
    assert plan.injected[Fault.LAMBDA_THROTTLED] > 0
    assert [i.status for i in invocations] == ["SUCCEEDED"] * 8
    assert {i.attempts for i in invocations} == {1}
    assert len(kept) == 24


def test_a_race_runs_the_same_event_twice_at_once(stage_of):
    with stage_of(writer()) as stage, faults.installed(always(Fault.DYNAMODB_RACE)):
        stage.functions.invoke_async("probe-writer", {"n": 3}, source="test")
        stage.wait()
        runs = [i for i in stage.functions.invocations if i.function == "probe-writer"]
    assert sorted(i.source for i in runs) == ["test", "test (raced)"]


def test_throttled_dynamodb_writes_and_503s_from_s3_are_retried_by_the_sdk(stage_of):
    plan = FaultPlan(seed=5, rates={Fault.DYNAMODB_THROTTLED: 0.1, Fault.S3_TRANSIENT: 0.1})
    resources = template(
        Out=bucket("probe-out"),
        Items={
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "probe-items",
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            },
        },
    )
    with stage_of(resources) as stage, faults.installed(plan):
        table = stage.session.client("dynamodb")
        s3 = stage.session.client("s3")
        for n in range(50):
            table.put_item(TableName="probe-items", Item={"id": {"S": str(n)}})
            s3.put_object(Bucket="probe-out", Key=f"k/{n}", Body=b"x")
        items = table.scan(TableName="probe-items")["Count"]
        kept = written(stage, "k/")
    assert plan.injected[Fault.DYNAMODB_THROTTLED] > 0 and plan.injected[Fault.S3_TRANSIENT] > 0
    assert items == 50 and len(kept) == 50


def test_a_refused_glue_run_raises_concurrent_runs_exceeded(stage_of):
    resources = template(
        Job={
            "Type": "AWS::Glue::Job",
            "Properties": {
                "Name": "probe-job",
                "Role": "arn:aws:iam::222222222222:role/probe",
                "Command": {"Name": "glueetl", "ScriptLocation": "s3://probe-out/none.py"},
            },
        },
    )
    with stage_of(resources) as stage, faults.installed(always(Fault.GLUE_REFUSED)):
        glue = stage.session.client("glue")
        with pytest.raises(glue.exceptions.ConcurrentRunsExceededException):
            glue.start_job_run(JobName="probe-job")


def routed():
    return template(
        Input=eventbridge_bucket("probe-input"),
        Role=role(),
        Handler=function(RETURNS_EVENT),
        Rule=rule(object_rule_pattern("probe-input", [{"prefix": "in/"}]), "Handler"),
        Allow=events_permission("Handler", "Rule"),
    )


def delivered(stage):
    return [
        i.event["detail"]["object"]["key"]
        for i in stage.functions.invocations
        if i.status == "SUCCEEDED"
    ]


def test_an_event_delivered_twice_reaches_its_target_twice(stage_of):
    with stage_of(routed()) as stage, faults.installed(always(Fault.EVENT_TWICE)):
        stage.session.client("s3").put_object(Bucket="probe-input", Key="in/a.csv", Body=b"x")
        stage.wait()
        keys = delivered(stage)
    assert keys == ["in/a.csv", "in/a.csv"]


def test_a_late_event_arrives_after_the_events_published_after_it(stage_of):
    plan = FaultPlan(seed=1, rates={Fault.EVENT_LATE: 1.0})
    with stage_of(routed()) as stage, faults.installed(plan):
        s3 = stage.session.client("s3")
        s3.put_object(Bucket="probe-input", Key="in/first.csv", Body=b"x")
        plan.enabled = False
        s3.put_object(Bucket="probe-input", Key="in/second.csv", Body=b"x")
        stage.wait()
        dispatched = [e["detail"]["object"]["key"] for e in stage.bus.published]
        keys = delivered(stage)
    assert dispatched == ["in/second.csv", "in/first.csv"]
    assert sorted(keys) == ["in/first.csv", "in/second.csv"]


def test_a_consumed_message_comes_back_after_its_visibility_timeout(stage_of):
    resources = template(
        Role=role(),
        Out=bucket("probe-out"),
        Work=queue("probe-work", VisibilityTimeout=60),
        Consumer=function(COUNTS_MESSAGES, FunctionName="probe-consumer"),
        Mapping={
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": "Consumer"},
                "EventSourceArn": {"Fn::GetAtt": ["Work", "Arn"]},
                "BatchSize": 1,
            },
        },
    )
    plan = FaultPlan(seed=2, rates={Fault.SQS_REDELIVERED: 0.5})
    with stage_of(resources) as stage, faults.installed(plan):
        sqs = stage.session.client("sqs")
        url = sqs.get_queue_url(QueueName="probe-work")["QueueUrl"]
        for n in range(6):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(n))
        stage.wait()
        handled = written(stage)
    redelivered = plan.injected[Fault.SQS_REDELIVERED]
    assert redelivered > 0
    assert len(handled) == 6 + redelivered
    assert {key.split("/")[0] for key in handled} == {str(n) for n in range(6)}


def test_the_same_seed_decides_the_same_faults():
    first, second = (FaultPlan(seed=11, rates={Fault.LAMBDA_ERROR: 0.3}) for _ in range(2))
    keys = [faults.stable_key("f", {"n": n, "id": f"random-{n * 7}"}) for n in range(200)]
    assert [first.decide(Fault.LAMBDA_ERROR, k) for k in keys] == [
        second.decide(Fault.LAMBDA_ERROR, k) for k in keys
    ]
    assert 30 < first.injected[Fault.LAMBDA_ERROR] < 90


def test_a_key_leaves_out_what_differs_between_two_deliveries_of_one_event():
    one = {"id": "a", "time": "t1", "detail": {"object": {"key": "k", "sequencer": "1"}}}
    two = {"id": "b", "time": "t2", "detail": {"object": {"key": "k", "sequencer": "2"}}}
    other = {"id": "a", "time": "t1", "detail": {"object": {"key": "other", "sequencer": "1"}}}
    assert faults.stable_key(one) == faults.stable_key(two) != faults.stable_key(other)


def test_a_disabled_plan_or_none_injects_nothing():
    plan = always(Fault.LAMBDA_ERROR)
    plan.enabled = False
    assert not plan.decide(Fault.LAMBDA_ERROR, "k")
    assert not faults.decide(Fault.LAMBDA_ERROR, "k")
