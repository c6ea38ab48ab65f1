"""SQS event source mappings batch, report partial failures and redrive as Lambda and SQS do;
schedules fire on demand and, ticking, on the local clock; the snapshot keeps what the stage
holds."""

from __future__ import annotations

import json
import time

import pyarrow as pa
import pyarrow.parquet as pq

from shared.cli.main import main
from shared.local.clock import LocalClock
from tests.local.templates import function, queue, role, template

PARTIAL = (
    "import json\n"
    "def handler(event, context):\n"
    "    bad = [r['messageId'] for r in event['Records'] if json.loads(r['body']).get('bad')]\n"
    "    return {'batchItemFailures': [{'itemIdentifier': i} for i in bad]}\n"
)
WRITES = (
    "import boto3, json\n"
    "def handler(event, context):\n"
    "    boto3.client('dynamodb').put_item(TableName='probe-items',"
    " Item={'id': {'S': 'one'}, 'count': {'N': '3'}})\n"
    "    boto3.client('s3').put_object(Bucket='probe-out', Key='a/b.json',"
    " Body=json.dumps(event))\n"
)


def mapped(batch_size, window=0):
    return template(
        Role=role(),
        Dlq=queue("probe-dlq"),
        Work=queue(
            "probe-work",
            VisibilityTimeout=60,
            RedrivePolicy={
                "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                "maxReceiveCount": 2,
            },
        ),
        Consumer=function(PARTIAL, FunctionName="probe-consumer", ReservedConcurrentExecutions=1),
        Mapping={
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": "Consumer"},
                "EventSourceArn": {"Fn::GetAtt": ["Work", "Arn"]},
                "BatchSize": batch_size,
                "MaximumBatchingWindowInSeconds": window,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        },
    )


def send(stage, bodies):
    sqs = stage.session.client("sqs")
    url = sqs.get_queue_url(QueueName="probe-work")["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


def messages_in(stage, name):
    sqs = stage.session.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_batches_are_cut_at_the_batch_size(stage_of):
    # a window of 60 s (1 s locally) lets every message arrive before the first batch is cut
    with stage_of(mapped(batch_size=4, window=60), clock=LocalClock(speed=60)) as stage:
        send(stage, [{"n": n} for n in range(10)])
        stage.wait()
        [mapping] = stage.mappings.mappings
    assert sorted(mapping.batches) == [2, 4, 4]


def test_a_reported_failure_is_received_again_and_then_dead_lettered(stage_of):
    with stage_of(mapped(batch_size=10)) as stage:
        send(stage, [{"n": 1}, {"n": 2, "bad": True}])
        stage.wait()
        assert messages_in(stage, "probe-dlq") == [{"n": 2, "bad": True}]
        assert messages_in(stage, "probe-work") == []
        [mapping] = stage.mappings.mappings
    # the good message once; the bad one on each of its two receives, then to the queue's DLQ
    assert sum(mapping.batches) == 3


def test_schedules_fire_on_demand_and_rate_schedules_on_the_ticking_clock(stage_of):
    resources = template(
        Role=role(),
        Target=function(
            "def handler(event, context):\n    return event\n", FunctionName="probe-target"
        ),
        Daily={
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Name": "probe-daily",
                "ScheduleExpression": "cron(0 9 * * ? *)",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": {"Fn::GetAtt": ["Target", "Arn"]},
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Input": '{"run_date": "2026-12-01"}',
                },
            },
        },
        Often={
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "rate(1 minute)",
                "State": "ENABLED",
                "Targets": [{"Arn": {"Fn::GetAtt": ["Target", "Arn"]}, "Id": "T"}],
            },
        },
        Allow={
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "Target"},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": ["Often", "Arn"]},
            },
        },
    )
    # one local second is one AWS minute: the rate(1 minute) rule fires about once a second
    started = time.monotonic()
    with stage_of(resources, clock=LocalClock(speed=60), ticking=True) as stage:
        stage.schedules.fire("probe-daily")
        time.sleep(2.5)
        stage.wait()
        events = [i.event for i in stage.functions.invocations]
    elapsed = time.monotonic() - started
    assert {"run_date": "2026-12-01"} in events
    scheduled = [e for e in events if e.get("detail-type") == "Scheduled Event"]
    assert 2 <= len(scheduled) <= elapsed + 1


def test_the_snapshot_keeps_objects_items_and_tables(stage_of, tmp_path):
    resources = template(
        Role=role(),
        Out={"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "probe-out"}},
        Items={
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "probe-items",
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            },
        },
        Database={
            "Type": "AWS::Glue::Database",
            "Properties": {"CatalogId": "222222222222", "DatabaseInput": {"Name": "probe_db"}},
        },
        Writer=function(WRITES, FunctionName="probe-writer"),
    )
    with stage_of(resources) as stage:
        stage.functions.invoke("probe-writer", {"hello": "world"}, source="test")
        stage.session.client("glue").create_table(
            DatabaseName="probe_db",
            TableInput={"Name": "things", "StorageDescriptor": {"Columns": []}},
        )
        root = stage.snapshot(tmp_path / "snapshot")
    assert json.loads((root / "s3" / "probe-out" / "a" / "b.json").read_text()) == {
        "hello": "world"
    }
    lines = (root / "dynamodb" / "probe-items.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"count": 3, "id": "one"}]
    assert json.loads((root / "glue" / "probe_db" / "things.json").read_text())["Name"] == "things"


def test_bucket_notifications_reach_a_queue_and_a_function(stage_of):
    resources = template(
        Role=role(),
        Inbox=queue("probe-inbox"),
        Direct=function(
            "def handler(event, context):\n    return event\n", FunctionName="probe-direct"
        ),
        AllowS3={
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "Direct"},
                "Principal": "s3.amazonaws.com",
                "SourceArn": "arn:aws:s3:::probe-uploads",
            },
        },
        Uploads={
            "Type": "AWS::S3::Bucket",
            "DependsOn": ["AllowS3"],
            "Properties": {
                "BucketName": "probe-uploads",
                "NotificationConfiguration": {
                    "QueueConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Queue": {"Fn::GetAtt": ["Inbox", "Arn"]},
                            "Filter": {
                                "S3Key": {"Rules": [{"Name": "suffix", "Value": ".ndjson"}]}
                            },
                        }
                    ],
                    "LambdaConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Function": {"Fn::GetAtt": ["Direct", "Arn"]},
                        }
                    ],
                },
            },
        },
    )
    with stage_of(resources) as stage:
        s3 = stage.session.client("s3")
        s3.put_object(Bucket="probe-uploads", Key="day/a.ndjson", Body=b"{}\n")
        s3.put_object(Bucket="probe-uploads", Key="day/b.csv", Body=b"x\n")
        stage.wait()
        queued = messages_in(stage, "probe-inbox")
        invoked = [
            i.event["Records"][0]["s3"]["object"]["key"] for i in stage.functions.invocations
        ]
    # as in AWS, configuring the notification sent an s3:TestEvent first
    assert [m.get("Event") for m in queued if "Records" not in m] == ["s3:TestEvent"]
    records = [m["Records"][0]["s3"]["object"]["key"] for m in queued if "Records" in m]
    assert records == ["day/a.ndjson"]
    assert sorted(invoked) == ["day/a.ndjson", "day/b.csv"]


def test_gdp_query_reads_the_tables_of_a_snapshot(stage_of, tmp_path, capsys):
    resources = template(
        Out={"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "probe-out"}},
        Database={
            "Type": "AWS::Glue::Database",
            "Properties": {"CatalogId": "222222222222", "DatabaseInput": {"Name": "probe_db"}},
        },
    )
    table = pa.table({"n": [1, 2, 3]})
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    with stage_of(resources) as stage:
        stage.session.client("s3").put_object(
            Bucket="probe-out",
            Key="things/day=1/part-0.parquet",
            Body=buffer.getvalue().to_pybytes(),
        )
        stage.session.client("glue").create_table(
            DatabaseName="probe_db",
            TableInput={
                "Name": "things",
                "StorageDescriptor": {"Columns": [], "Location": "s3://probe-out/things/"},
            },
        )
        root = stage.snapshot(tmp_path / "snapshot")
    sql = "select sum(n) as total, max(day) as day from probe_db.things"
    assert main(["query", "--snapshot", str(root), "--json", sql]) == 0
    assert json.loads(capsys.readouterr().out) == {"total": 6, "day": 1}
    assert main(["query", "--snapshot", str(root), "select nope from things"]) == 2
    assert 'Referenced column "nope" not found' in capsys.readouterr().err
