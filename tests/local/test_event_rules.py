"""EventBridge rules deliver what their real ``EventPattern`` matches, and only to targets
that let them: an S3 upload reaches a function exactly when AWS would deliver it."""

from __future__ import annotations

import json

import pytest

from tests.local.templates import (
    RETURNS_EVENT,
    eventbridge_bucket,
    events_permission,
    function,
    object_rule_pattern,
    queue,
    role,
    rule,
    template,
)

BUCKET = "probe-input"


def routed(key_filter, *, permitted=True, **target):
    resources = template(
        Input=eventbridge_bucket(BUCKET),
        Role=role(),
        Handler=function(RETURNS_EVENT),
        Rule=rule(object_rule_pattern(BUCKET, key_filter), "Handler", **target),
        Dlq=queue("probe-rule-dlq"),
    )
    if permitted:
        resources["Resources"]["Allow"] = events_permission("Handler", "Rule")
    return resources


def received_keys(stage):
    return sorted(
        i.event["detail"]["object"]["key"]
        for i in stage.functions.invocations
        if i.status == "SUCCEEDED"
    )


@pytest.mark.parametrize(
    ("key_filter", "delivered"),
    [
        ([{"prefix": "in/"}], ["in/a.csv", "in/b.json"]),
        ([{"anything-but": {"prefix": "quarantine/"}}], ["in/a.csv", "in/b.json", "other/c.csv"]),
        ([{"suffix": ".csv"}], ["in/a.csv", "other/c.csv", "quarantine/d.csv"]),
        ([{"wildcard": "*/b.*"}], ["in/b.json"]),
        ([{"exists": True}], ["in/a.csv", "in/b.json", "other/c.csv", "quarantine/d.csv"]),
        (["other/c.csv"], ["other/c.csv"]),
    ],
    ids=["prefix", "anything-but-prefix", "suffix", "wildcard", "exists", "exact"],
)
def test_a_rule_delivers_what_its_pattern_matches(stage_of, key_filter, delivered):
    with stage_of(routed(key_filter)) as stage:
        s3 = stage.session.client("s3")
        for key in ("in/a.csv", "in/b.json", "other/c.csv", "quarantine/d.csv"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        stage.wait()
        assert received_keys(stage) == delivered


def test_numeric_and_or_patterns_match_on_the_event(stage_of):
    pattern = {
        "source": ["aws.s3"],
        "$or": [
            {"detail": {"object": {"size": [{"numeric": [">", 10]}]}}},
            {"detail": {"object": {"key": [{"prefix": "always/"}]}}},
        ],
    }
    resources = template(
        Input=eventbridge_bucket(BUCKET),
        Role=role(),
        Handler=function(RETURNS_EVENT),
        Rule=rule(pattern, "Handler"),
        Allow=events_permission("Handler", "Rule"),
    )
    with stage_of(resources) as stage:
        s3 = stage.session.client("s3")
        s3.put_object(Bucket=BUCKET, Key="small.csv", Body=b"x")
        s3.put_object(Bucket=BUCKET, Key="large.csv", Body=b"x" * 11)
        s3.put_object(Bucket=BUCKET, Key="always/small.csv", Body=b"x")
        stage.wait()
        assert received_keys(stage) == ["always/small.csv", "large.csv"]


def test_a_function_that_does_not_permit_the_rule_is_not_invoked(stage_of):
    dead_letters = {"DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["Dlq", "Arn"]}}}
    with stage_of(routed([{"prefix": ""}], permitted=False, **dead_letters)) as stage:
        stage.session.client("s3").put_object(Bucket=BUCKET, Key="a.csv", Body=b"x")
        stage.wait()
        assert not stage.functions.invocations
        sqs = stage.session.client("sqs")
        url = sqs.get_queue_url(QueueName="probe-rule-dlq")["QueueUrl"]
        [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
        assert json.loads(message["Body"])["detail"]["object"]["key"] == "a.csv"
        error = message["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
        assert "does not let events.amazonaws.com invoke it" in error


def test_an_input_transformer_shapes_what_the_target_receives(stage_of):
    transformer = {
        "InputTransformer": {
            "InputPathsMap": {"key": "$.detail.object.key"},
            "InputTemplate": (
                '{"file": <key>, "note": "<key> arrived", "rule": "<aws.events.rule-name>"}'
            ),
        }
    }
    with stage_of(routed([{"prefix": ""}], **transformer)) as stage:
        stage.session.client("s3").put_object(Bucket=BUCKET, Key="a.csv", Body=b"x")
        stage.wait()
        [invocation] = stage.functions.invocations
        [(_, created)] = stage.deployed.of_type("AWS::Events::Rule")
        assert invocation.event == {"file": "a.csv", "note": "a.csv arrived", "rule": created.ref}


def test_put_events_reaches_a_function_target(stage_of):
    resources = template(
        Role=role(),
        Handler=function(RETURNS_EVENT),
        Rule=rule({"source": ["probe.app"]}, "Handler"),
        Allow=events_permission("Handler", "Rule"),
    )
    with stage_of(resources) as stage:
        stage.session.client("events").put_events(
            Entries=[{"Source": "probe.app", "DetailType": "Thing", "Detail": '{"n": 1}'}]
        )
        stage.wait()
        [invocation] = stage.functions.invocations
        assert invocation.event["detail"] == {"n": 1}
