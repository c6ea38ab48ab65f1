"""The local stage does what the templates say, and nothing else: change what a stack
deploys, synthesize, and the local stage follows with no change to the runtime; break the
real stage's event pattern and the upload is missed, as AWS would miss it."""

from __future__ import annotations

import json
from dataclasses import replace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from applications_repo.file_processor.names import FileProcessorNames
from shared.config import StageName
from shared.local.run import NOT_DELIVERED, summary
from shared.local.stage import LocalStage
from shared.local.stage_assembly import StageAssembly, read_assemblies
from tests.local.conftest import FAST_CLOCK
from tests.local.templates import ACCOUNT, REGION

GREETS = (
    "import os\n"
    "def handler(event, context):\n"
    "    return {'greeting': os.environ['GREETING'], 'key': event['detail']['object']['key']}\n"
)
CONSUMES = "def handler(event, context):\n    return {'batchItemFailures': []}\n"


def probe_app(tmp_path, *, excluded_prefix: str, batch_size: int, greeting: str) -> StageAssembly:
    """A stack of uploads -> rule -> function, and queue -> mapping -> function, from CDK."""
    outdir = tmp_path / f"cdk.out-{excluded_prefix.strip('/')}-{batch_size}"
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(
        app, "Probe", stack_name="probe", env=cdk.Environment(account=ACCOUNT, region=REGION)
    )
    bucket = s3.Bucket(stack, "Input", bucket_name="probe-input", event_bridge_enabled=True)
    greeter = lambda_.Function(
        stack,
        "Greeter",
        function_name="probe-greeter",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline(GREETS),
        environment={"GREETING": greeting},
    )
    events.Rule(
        stack,
        "Uploads",
        event_pattern=events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created"],
            detail={
                "bucket": {"name": [bucket.bucket_name]},
                "object": {"key": [{"anything-but": {"prefix": excluded_prefix}}]},
            },
        ),
        targets=[targets.LambdaFunction(greeter)],
    )
    work = sqs.Queue(stack, "Work", queue_name="probe-work")
    consumer = lambda_.Function(
        stack,
        "Consumer",
        function_name="probe-consumer",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline(CONSUMES),
    )
    consumer.add_event_source(
        sources.SqsEventSource(
            work, batch_size=batch_size, max_batching_window=cdk.Duration.seconds(60)
        )
    )
    app.synth()
    return read_assemblies([outdir])


@pytest.mark.parametrize(
    ("excluded_prefix", "batch_size", "greeting", "delivered"),
    [("skip/", 2, "hello", "take/b.csv"), ("take/", 4, "bonjour", "skip/a.csv")],
)
def test_the_local_stage_follows_what_the_stack_deploys(
    platform_config, tmp_path, *, excluded_prefix, batch_size, greeting, delivered
):
    assembly = probe_app(
        tmp_path, excluded_prefix=excluded_prefix, batch_size=batch_size, greeting=greeting
    )
    with LocalStage(
        platform_config,
        StageName.DEV,
        workdir=tmp_path / "run",
        assembly=assembly,
        clock=FAST_CLOCK,
    ) as stage:
        s3_client = stage.session.client("s3")
        for key in ("skip/a.csv", "take/b.csv"):
            s3_client.put_object(Bucket="probe-input", Key=key, Body=b"x")
        sqs_client = stage.session.client("sqs")
        url = sqs_client.get_queue_url(QueueName="probe-work")["QueueUrl"]
        sqs_client.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(n), "MessageBody": json.dumps({"n": n})} for n in range(8)],
        )
        stage.wait()
        greeted = [i.result for i in stage.functions.invocations if i.function == "probe-greeter"]
        [mapping] = stage.mappings.mappings
    assert greeted == [{"greeting": greeting, "key": delivered}]
    assert mapping.batch_size == batch_size
    assert max(mapping.batches) <= batch_size and sum(mapping.batches) == 8


def test_a_broken_event_pattern_in_the_stage_template_misses_the_upload(
    platform_config, dev_assembly, tmp_path, spark
):
    # GIVEN the dev stage's templates, the FileProcessor rule's bucket name misspelt
    stacks = []
    for stack in dev_assembly.stacks:
        template = stack.template
        for resource in template["Resources"].values():
            pattern = resource.get("Properties", {}).get("EventPattern", {})
            if "Object Created" in pattern.get("detail-type", []):
                pattern["detail"]["bucket"]["name"] = ["glue-inptu-dev-222222222222"]
        path = tmp_path / stack.template_file.name
        path.write_text(json.dumps(template), encoding="utf-8")
        stacks.append(replace(stack, template_file=path))
    broken = StageAssembly(stacks, dev_assembly.assets)
    source = tmp_path / "lost.csv"
    source.write_text("id\n1\n")
    with LocalStage(
        platform_config, StageName.DEV, workdir=tmp_path / "run", assembly=broken, clock=FAST_CLOCK
    ) as stage:
        # WHEN a CSV is uploaded to the input bucket
        upload = stage.upload(source, "lost/lost.csv")
        stage.wait()
        [row] = summary(stage, [upload], [])
        job = FileProcessorNames(stage.naming).job
        runs = stage.session.client("glue").get_job_runs(JobName=job)["JobRuns"]
    # THEN no function received it and no run started: the event was missed, as in AWS
    assert row.state == NOT_DELIVERED
    assert not runs
