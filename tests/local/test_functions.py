"""Functions run in this process as Lambda runs them: with their environment, timeout,
reserved concurrency, retries and destinations as the template configures them."""

from __future__ import annotations

import io
import json
import sys
import threading
import zipfile

import boto3

from shared.local import function_code
from shared.local.function_code import (
    FunctionConfig,
    LoadedFunction,
    ThreadStdout,
    install_thread_stdout,
)
from shared.local.functions import FunctionError
from tests.local.templates import RAISES, function, queue, role, template

ECHO_ENVIRONMENT = (
    "import os\n"
    "def handler(event, context):\n"
    "    return {'greeting': os.environ['GREETING'],"
    " 'name': os.environ['AWS_LAMBDA_FUNCTION_NAME'],"
    " 'left_ms': context.get_remaining_time_in_millis()}\n"
)
HANDLES = "def handler(event, context):\n    return LOADS\n"
SLOW = "import time\ndef handler(event, context):\n    time.sleep(1.5)\n    return 'late'\n"
COUNTING = (
    "import threading, time\n"
    "lock, state = threading.Lock(), {'now': 0, 'most': 0}\n"
    "def handler(event, context):\n"
    "    with lock:\n"
    "        state['now'] += 1\n"
    "        state['most'] = max(state['most'], state['now'])\n"
    "    time.sleep(0.2)\n"
    "    with lock:\n"
    "        state['now'] -= 1\n"
    "    return dict(state)\n"
)


def received(stage, queue_name):
    sqs = stage.session.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    return sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])


def test_a_function_sees_its_environment_and_its_timeout(stage_of):
    resources = template(
        Role=role(),
        Echo=function(
            ECHO_ENVIRONMENT,
            FunctionName="probe-echo",
            Timeout=20,
            Environment={"Variables": {"GREETING": "hello"}},
        ),
    )
    with stage_of(resources) as stage:
        result = stage.functions.invoke("probe-echo", {}, source="test")
    assert (result["greeting"], result["name"]) == ("hello", "probe-echo")
    assert 15_000 < result["left_ms"] <= 20_000


def test_an_asynchronous_failure_is_retried_then_sent_to_its_on_failure_destination(stage_of):
    resources = template(
        Role=role(),
        Failing=function(RAISES, FunctionName="probe-failing"),
        Failures=queue("probe-failures"),
        Config={
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": {"Ref": "Failing"},
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 1,
                "DestinationConfig": {
                    "OnFailure": {"Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}
                },
            },
        },
    )
    with stage_of(resources) as stage:
        invocation = stage.functions.invoke_async("probe-failing", {"n": 1}, source="test")
        stage.wait()
        [message] = received(stage, "probe-failures")
    assert (invocation.status, invocation.attempts) == ("FAILED", 2)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"n": 1}
    assert record["responsePayload"] == {"errorMessage": "RuntimeError: boom"}


def test_without_a_destination_the_dead_letter_queue_gets_the_event(stage_of):
    resources = template(
        Role=role(),
        Dlq=queue("probe-dlq"),
        Failing=function(
            RAISES,
            FunctionName="probe-failing",
            DeadLetterConfig={"TargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
        ),
    )
    with stage_of(resources) as stage:
        invocation = stage.functions.invoke_async("probe-failing", {"n": 2}, source="test")
        stage.wait()
        [message] = received(stage, "probe-dlq")
    assert invocation.attempts == 3  # Lambda's default: two retries
    assert json.loads(message["Body"]) == {"n": 2}
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "RuntimeError: boom"


def test_a_handler_past_its_timeout_fails_the_invocation(stage_of):
    resources = template(Role=role(), Slow=function(SLOW, FunctionName="probe-slow", Timeout=1))
    with stage_of(resources) as stage:
        try:
            stage.functions.invoke("probe-slow", {}, source="test")
        except FunctionError as error:
            failure = str(error)
        stage.wait()
    assert failure == "Task timed out after 1.00 seconds"


def test_reserved_concurrency_bounds_the_invocations_at_once(stage_of):
    resources = template(
        Role=role(),
        Counting=function(COUNTING, FunctionName="probe-counting", ReservedConcurrentExecutions=2),
    )
    with stage_of(resources) as stage:
        invocations = [
            stage.functions.invoke_async("probe-counting", {"n": n}, source="test")
            for n in range(6)
        ]
        stage.wait()
    assert stage.functions.config("probe-counting").reserved_concurrency == 2
    assert max(i.result["most"] for i in invocations) <= 2


def test_each_thread_prints_where_its_invocation_says(tmp_path):
    install_thread_stdout()
    assert isinstance(sys.stdout, ThreadStdout)
    log = (tmp_path / "f.log").open("w", encoding="utf-8")

    def invocation():
        function_code._thread_streams.stream = log
        print("inside the invocation")
        function_code._thread_streams.stream = None

    worker = threading.Thread(target=invocation)
    worker.start()
    worker.join()
    log.close()
    assert (tmp_path / "f.log").read_text() == "inside the invocation\n"


INVOKER = (
    "import boto3\n"
    "def handler(event, context):\n"
    "    lam = boto3.client('lambda')\n"
    "    queued = lam.invoke(FunctionName='probe-echo', InvocationType='Event', Payload=b'{}')\n"
    "    try:\n"
    "        lam.invoke(FunctionName='probe-missing', InvocationType='Event', Payload=b'{}')\n"
    "        missing = None\n"
    "    except lam.exceptions.ResourceNotFoundException as error:\n"
    "        missing = error.response['Error']['Code']\n"
    "    return {'queued': queued['StatusCode'], 'missing': missing}\n"
)


def test_code_invokes_functions_through_the_lambda_api(stage_of):
    """A function's code queues another's run (``Event``, as the FileProcessor trigger
    does); a caller outside the runtime gets a run's result (``RequestResponse``)."""
    resources = template(
        Role=role(),
        Echo=function(
            ECHO_ENVIRONMENT,
            FunctionName="probe-echo",
            Environment={"Variables": {"GREETING": "hi"}},
        ),
        Invoker=function(INVOKER, FunctionName="probe-invoker"),
    )
    with stage_of(resources) as stage:
        result = stage.functions.invoke("probe-invoker", {}, source="test")
        answer = stage.session.client("lambda").invoke(FunctionName="probe-echo", Payload=b"{}")
        stage.wait()
        echoed = [i for i in stage.functions.invocations if i.function == "probe-echo"]
    assert (result["queued"], result["missing"]) == (202, "ResourceNotFoundException")
    assert json.loads(answer["Payload"].read())["greeting"] == "hi"
    assert [i.source for i in echoed] == ["lambda:Invoke", "lambda:Invoke"]
    assert all(i.status == "SUCCEEDED" for i in echoed)


def test_concurrent_first_invocations_load_the_code_once_and_all_succeed(tmp_path):
    """A cold function invoked from many threads at once (a Map state's dates reaching one
    task together) unpacks and imports its code once; none reads it half-unpacked."""
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as archive:
        archive.writestr("handler.py", "LOADS = 1\n" + "PAD = 0\n" * 50_000 + HANDLES)
        for n in range(200):
            archive.writestr(f"bundled/module_{n}.py", "VALUE = 1\n" * 500)
    config = FunctionConfig(
        name="probe-cold",
        arn="arn:aws:lambda:eu-west-1:000000000000:function:probe-cold",
        handler="handler.handler",
        timeout=10,
        memory_mb=128,
        environment={},
        log_group="/aws/lambda/probe-cold",
        code=body.getvalue(),
    )
    loaded = LoadedFunction(config, tmp_path)
    start = threading.Barrier(8)
    answers: list[object] = []

    def first_invocation() -> None:
        start.wait()
        try:
            answers.append(loaded.handler()({}, None))
        except Exception as error:  # what a half-unpacked module raises
            answers.append(error)

    threads = [threading.Thread(target=first_invocation) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loaded.unload()
    assert answers == [1] * 8


READS_SECRET = (
    "from aws_lambda_powertools.utilities import parameters\n"
    "def handler(event, context):\n"
    "    return parameters.get_secret('probe-secret')\n"
)


def test_each_stage_starts_its_functions_cold(stage_of):
    """What Powertools caches for the whole process (its parameter providers: a client of the
    stage's endpoint, the secrets it read) does not outlive the stage, as no sandbox outlives
    its function's deployment: a second stage in the same process reads its own secret."""
    answers = []
    for value in ("first", "second"):
        resources = template(
            Role=role(),
            Secret={
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {"Name": "probe-secret", "SecretString": value},
            },
            Reader=function(READS_SECRET, FunctionName="probe-reader"),
        )
        with stage_of(resources) as stage:
            answers.append(stage.functions.invoke("probe-reader", {}, source="test"))
    assert answers == ["first", "second"]


def test_sessions_share_the_service_models_they_have_read(stage_of):
    """Each invocation makes its SDK sessions anew, as a cold start does; the models one
    session has read are not read from disk again by the next (the process runs them all)."""
    with stage_of(template(Role=role())):
        first, second = (boto3.session.Session()._session for _ in range(2))
        assert first.get_component("data_loader") is second.get_component("data_loader")
    after = boto3.session.Session()._session
    assert after.get_component("data_loader") is not first.get_component("data_loader")
