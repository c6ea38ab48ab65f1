"""The applications app's stacks carry every property of the spec's Lambda and Glue tables,
the event wiring and the dead-letter queue, in dev and prod."""

from __future__ import annotations

import json

import pytest

from applications_repo.file_processor.application import FILE_PROCESSOR
from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.legislators.names import LegislatorsNames
from shared.application import FUNCTION_JOB_PYTHON, FUNCTION_LOGGING, scripts_prefix
from shared.bundling import locked_versions
from shared.config import StageName
from shared.constructs.functions import LAMBDA_RUNTIME
from shared.naming import QUARANTINE_PREFIX, AppName, Concern, PipelineNaming, StageNaming
from tests.cdk.templates import as_list, managed_policy, managed_policy_statements, role, statement

STAGES = list(StageName)


def runtime_version(runtime: str) -> tuple[int, ...]:
    """``python3.14`` -> (3, 14): runtimes compare as versions, not as text."""
    return tuple(int(part) for part in runtime.removeprefix("python").split("."))


def function_id(template, name: str) -> str:
    [found] = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": name}}
    )
    return found


def only(template, kind: str, properties: dict | None = None) -> dict:
    found = template.find_resources(kind, {"Properties": properties} if properties else {})
    assert len(found) == 1, f"{len(found)} {kind}"
    return next(iter(found.values()))["Properties"]


@pytest.mark.parametrize("stage", STAGES)
def test_trigger_function_follows_the_spec_table(applications, stage):
    n = StageNaming.of(applications.config, stage)
    settings = applications.config.stages.get(stage)
    own = FILE_PROCESSOR.context(applications.config, stage).app
    template = applications.application_template(stage, "file-processor")
    function = only(
        template, "AWS::Lambda::Function", {"FunctionName": FileProcessorNames(n).trigger_function}
    )
    assert function["Runtime"] == LAMBDA_RUNTIME.name
    assert runtime_version(function["Runtime"]) >= (3, 12)
    assert (function["Timeout"], function["MemorySize"]) == (30, 128)
    [role_id] = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": FileProcessorNames(n).trigger_role}}
    )
    assert function["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert function["Environment"]["Variables"] == {
        "JOB_NAME": FileProcessorNames(n).job,
        "OUTPUT_BUCKET": n.output_bucket,
        "DATABASE": n.database,
        "MIN_OBJECT_BYTES": str(own.min_object_bytes),
        "MAX_OBJECT_BYTES": str(own.max_object_bytes),
        "SINGLE_NODE_MAX_BYTES": str(settings.glue.single_node_max_bytes),
        "SINGLE_NODE_FUNCTION": FileProcessorNames(n).single_node_function,
        "IDEMPOTENCY_TABLE": FileProcessorNames(n).idempotency_table,
        "IDEMPOTENCY_SECONDS": str(own.idempotency_hours * 3600),
        **FUNCTION_LOGGING,
    }
    table = only(
        template,
        "AWS::DynamoDB::GlobalTable",
        {"TableName": FileProcessorNames(n).idempotency_table},
    )
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["Replicas"][0]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    log_group = only(
        template, "AWS::Logs::LogGroup", {"LogGroupName": FileProcessorNames(n).trigger_log_group}
    )
    assert log_group["RetentionInDays"] == settings.logs.lambda_retention_days == 14
    assert "KmsKeyId" in log_group


@pytest.mark.parametrize("stage", STAGES)
def test_object_created_events_of_the_input_bucket_reach_the_trigger(applications, stage):
    n = StageNaming.of(applications.config, stage)
    template = applications.application_template(stage, "file-processor")
    rule = only(template, "AWS::Events::Rule", {"Name": FileProcessorNames(n).trigger_rule})
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [n.input_bucket]},
            "object": {"key": [{"anything-but": {"prefix": QUARANTINE_PREFIX}}]},
        },
    }
    [target] = rule["Targets"]
    assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 2


@pytest.mark.parametrize("stage", STAGES)
def test_failed_invocations_end_in_an_encrypted_dead_letter_queue(applications, stage):
    n = StageNaming.of(applications.config, stage)
    template = applications.application_template(stage, "file-processor")
    queue = only(
        template, "AWS::SQS::Queue", {"QueueName": FileProcessorNames(n).dead_letter_queue}
    )
    assert queue["SqsManagedSseEnabled"] is True
    [(queue_id, _)] = template.find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": FileProcessorNames(n).dead_letter_queue}}
    ).items()
    config = only(
        template,
        "AWS::Lambda::EventInvokeConfig",
        {"FunctionName": {"Ref": function_id(template, FileProcessorNames(n).trigger_function)}},
    )
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [queue_id, "Arn"]
    }
    policy = only(template, "AWS::SQS::QueuePolicy", {"Queues": [{"Ref": queue_id}]})
    statements = policy["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize(
    ("application", "names"),
    [("file-processor", FileProcessorNames), ("legislators", LegislatorsNames)],
)
def test_glue_jobs_follow_the_spec_table(applications, stage, application, names):
    n = StageNaming.of(applications.config, stage)
    glue = applications.config.stages.get(stage).glue
    name = names(n).job
    template = applications.application_template(stage, application)
    properties = only(template, "AWS::Glue::Job", {"Name": name})
    prefix = f"s3://{n.assets_bucket}/{scripts_prefix(name)}"
    assert properties["Command"] == {
        "Name": "glueetl",
        "PythonVersion": "3",
        "ScriptLocation": f"{prefix}entrypoint.py",
    }
    assert properties["GlueVersion"] == glue.version == "5.1"
    assert properties["WorkerType"] == glue.worker_type == "G.1X"
    assert properties["NumberOfWorkers"] == glue.max_workers == 10
    assert properties["Timeout"] == glue.timeout_minutes == 60
    assert properties["ExecutionProperty"] == {"MaxConcurrentRuns": 3}
    assert properties["MaxRetries"] == glue.max_retries == 0
    assert properties["JobRunQueuingEnabled"] is glue.run_queuing is True
    assert properties["Role"] == n.role_arn(n.glue_service_role)
    assert properties["SecurityConfiguration"] == n.glue_security_configuration
    arguments = properties["DefaultArguments"]
    assert arguments["--enable-auto-scaling"] == "true"
    assert arguments["--enable-continuous-cloudwatch-log"] == "true"
    assert arguments["--enable-metrics"] == ""
    assert arguments["--enable-observability-metrics"] == "true"
    assert arguments["--extra-py-files"] == f"{prefix}libraries.zip"
    assert arguments["--output_bucket"] == n.output_bucket
    assert arguments["--database"] == n.database


@pytest.mark.parametrize("stage", STAGES)
def test_job_code_is_deployed_to_the_assets_bucket(applications, stage):
    n = StageNaming.of(applications.config, stage)
    template = applications.application_template(stage, "file-processor")
    deployment = only(template, "Custom::CDKBucketDeployment")
    assert deployment["DestinationBucketName"] == n.assets_bucket
    assert deployment["DestinationBucketKeyPrefix"] == scripts_prefix(FileProcessorNames(n).job)


def test_the_apps_share_nothing_through_cloudformation_exports(applications):
    for stack in applications.stacks:
        text = json.dumps(stack.template)
        assert "Fn::ImportValue" not in text
        assert "Export" not in json.dumps(stack.template.get("Outputs", {}))


def test_the_applications_pipeline_builds_its_own_app_and_watches_its_folder(applications):
    [pipeline] = (
        applications.pipeline_template().find_resources("AWS::CodePipeline::Pipeline").values()
    )
    [trigger] = pipeline["Properties"]["Triggers"]
    paths = trigger["GitConfiguration"]["Push"][0]["FilePaths"]
    assert paths["Includes"] == ["**"]
    assert f"{AppName.INFRASTRUCTURE.folder}/**" in paths["Excludes"]
    assert f"{AppName.APPLICATIONS.folder}/**" not in paths["Excludes"]
    projects = applications.pipeline_template().find_resources("AWS::CodeBuild::Project")
    specs = " ".join(p["Properties"]["Source"]["BuildSpec"] for p in projects.values())
    assert "make synth APP=applications" in specs
    assert "make post-deploy-test APP=applications STAGE=dev" in specs
    stage_names = [s["Name"] for s in pipeline["Properties"]["Stages"]]
    naming = PipelineNaming(AppName.APPLICATIONS)
    assert stage_names.index(naming.stage_id(StageName.DEV)) < stage_names.index(
        naming.stage_id(StageName.PROD)
    )


def test_each_stage_waits_for_its_infrastructures_contract(applications, infrastructure):
    from shared.deployability.iam_policy import Request, evaluate  # noqa: PLC0415
    from shared.infrastructure_contract import (  # noqa: PLC0415
        CONTRACT_OUTPUT,
        CONTRACT_VERSION,
        publishing_stack,
    )

    [pipeline] = (
        applications.pipeline_template().find_resources("AWS::CodePipeline::Pipeline").values()
    )
    naming = PipelineNaming(AppName.APPLICATIONS)
    stages = {s["Name"]: s for s in pipeline["Properties"]["Stages"]}
    projects = applications.pipeline_template().find_resources("AWS::CodeBuild::Project")
    for stage in StageName:
        actions = stages[naming.stage_id(stage)]["Actions"]
        check = next(a for a in actions if a["Name"].startswith("CheckInfrastructure"))
        deploys = [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
        assert all(check["RunOrder"] < a["RunOrder"] for a in deploys)
        spec = json.dumps(projects)
        assert f"make check-infrastructure STAGE={stage}" in spec
        stage_naming = StageNaming.of(applications.config, stage)
        access = infrastructure.stage_template(stage, Concern.ACCESS).to_json()
        assert access["Outputs"][CONTRACT_OUTPUT]["Value"] == str(CONTRACT_VERSION)
        [test_policy] = [
            r["Properties"]["PolicyDocument"]
            for r in access["Resources"].values()
            if r["Type"] == "AWS::IAM::ManagedPolicy"
            and "ReadInfrastructureContractVersion" in json.dumps(r)
        ]
        stack = (
            f"arn:aws:cloudformation:{stage_naming.region}:{stage_naming.account}:stack/"
            f"{publishing_stack(stage_naming)}/0f0e"
        )
        assert evaluate([test_policy], Request("cloudformation:DescribeStacks", stack)).allowed


@pytest.mark.parametrize("stage", STAGES)
def test_trigger_role_may_only_start_this_stages_file_processor(applications, stage):
    n = StageNaming.of(applications.config, stage)
    names = FileProcessorNames(n)
    template = applications.application_template(stage, "file-processor")
    trust = role(template, names.trigger_role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust[0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    statements = managed_policy_statements(template, f"What {names.trigger_function} may do")
    start = statement(statements, "StartFileProcessorRuns")
    assert "glue:StartJobRun" in start["Action"]
    assert as_list(start["Resource"]) == [n.glue_job_arn(names.job)]
    logs = statement(statements, "WriteOwnLogs")
    assert all(r.startswith(n.log_group_arn(names.trigger_log_group)) for r in logs["Resource"])
    glue_statements = [
        s for s in statements if any(a.startswith("glue:") for a in as_list(s["Action"]))
    ]
    assert glue_statements == [start]
    role_ids = list(
        template.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": names.trigger_role}})
    )
    grants = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_ids[0]} in p["Properties"]["Roles"]
    ]
    assert grants == [], "the trigger role's one policy is the managed one above"


@pytest.mark.parametrize("stage", STAGES)
def test_each_application_grants_the_shared_roles_only_its_own_inputs_and_jobs(applications, stage):
    n = StageNaming.of(applications.config, stage)
    processor = applications.application_template(stage, "file-processor")
    assert managed_policy(processor, "What FileProcessorV2")["Roles"] == [n.glue_service_role]
    read = statement(managed_policy_statements(processor, "What FileProcessorV2"), "ReadInput")
    assert as_list(read["Resource"]) == [f"{n.bucket_arn(n.input_bucket)}/*"]
    assert "s3:PutObject" not in as_list(read["Action"])
    tests = managed_policy_statements(processor, "post-deploy tests of FileProcessorV2")
    assert as_list(statement(tests, "RunFileProcessor")["Resource"]) == [
        n.glue_job_arn(FileProcessorNames(n).job)
    ]
    legislators = applications.application_template(stage, "legislators")
    own = FILE_PROCESSOR.context(applications.config, stage).config.application_settings(
        stage, "legislators"
    )
    assert managed_policy(legislators, "What ProcessLegislators")["Roles"] == [n.glue_service_role]
    reads = statement(
        managed_policy_statements(legislators, "What ProcessLegislators"), "ReadLegislatorsInput"
    )
    assert as_list(reads["Resource"]) == [f"{n.bucket_arn(own.input_bucket)}/{own.input_prefix}*"]
    assert managed_policy(legislators, "post-deploy tests of ProcessLegislators")["Roles"] == [
        n.test_role
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_small_files_run_on_a_single_node_function_sized_from_the_config(applications, stage):
    n = StageNaming.of(applications.config, stage)
    names, own = FileProcessorNames(n), FILE_PROCESSOR.context(applications.config, stage).app
    template = applications.application_template(stage, "file-processor")
    function = only(template, "AWS::Lambda::Function", {"FunctionName": names.single_node_function})
    assert function["Runtime"] == f"python{FUNCTION_JOB_PYTHON}"
    assert function["Architectures"] == ["x86_64"]
    assert function["Handler"] == "function_job.handler"
    assert (function["MemorySize"], function["Timeout"]) == (
        own.single_node_memory_mb,
        own.single_node_timeout_seconds,
    )
    assert function["EphemeralStorage"] == {"Size": own.single_node_ephemeral_storage_mb}
    assert function["ReservedConcurrentExecutions"] == own.single_node_concurrency
    variables = function["Environment"]["Variables"]
    assert variables["JOB_SCRIPT"] == "applications_repo.file_processor.job.entrypoint"
    assert json.loads(variables["JOB_DEFAULT_ARGUMENTS"]) == {
        "--database": n.database,
        "--engine": "arrow",
        "--output_bucket": n.output_bucket,
    }
    [layer_ref] = function["Layers"]
    layer = template.to_json()["Resources"][layer_ref["Ref"]]["Properties"]
    assert layer["CompatibleRuntimes"] == [function["Runtime"]]
    assert layer["Description"].startswith(f"pyarrow=={locked_versions(['pyarrow'])['pyarrow']}")
    config = only(
        template,
        "AWS::Lambda::EventInvokeConfig",
        {"FunctionName": {"Ref": function_id(template, names.single_node_function)}},
    )
    [(queue_id, queue)] = template.find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": names.single_node_dead_letter_queue}}
    ).items()
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [queue_id, "Arn"]
    }
    assert queue["Properties"]["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_the_trigger_may_invoke_only_the_single_node_function(applications, stage):
    n = StageNaming.of(applications.config, stage)
    names = FileProcessorNames(n)
    template = applications.application_template(stage, "file-processor")
    statements = managed_policy_statements(template, f"What {names.trigger_function} may do")
    invoke = statement(statements, "StartSingleNodeRuns")
    assert as_list(invoke["Action"]) == ["lambda:InvokeFunction"]
    assert as_list(invoke["Resource"]) == [
        {"Fn::GetAtt": [function_id(template, names.single_node_function), "Arn"]}
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_the_single_node_role_reaches_only_this_stages_buckets_and_database(applications, stage):
    n = StageNaming.of(applications.config, stage)
    names = FileProcessorNames(n)
    template = applications.application_template(stage, "file-processor")
    statements = managed_policy_statements(template, f"What {names.single_node_function} may do")
    resources = [r for s in statements for r in as_list(s["Resource"])]
    buckets = {r.split(":::")[1].split("/")[0] for r in resources if r.startswith("arn:aws:s3")}
    assert buckets == {n.input_bucket, n.output_bucket}
    assert statement(statements, "QuarantineRejectedInput")["Resource"] == (
        f"{n.bucket_arn(n.input_bucket)}/{QUARANTINE_PREFIX}*"
    )
    catalog = [r for r in resources if r.startswith("arn:aws:glue")]
    assert all(r.endswith(":catalog") or n.database in r for r in catalog)
    metrics = statement(statements, "PublishRowMetrics")
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "GlueDataPlatform"}}
