"""jobs-api's stack carries what spec 001 and its issue name: a regional REST API whose
methods are the committed OpenAPI document's, each a Lambda proxy integration, IAM
authorization in prod and none in dev, the stage's access logs, tracing and throttling, the
usage plan, API Gateway's own errors as problem details; the jobs table (on demand,
point-in-time recovery, encrypted, indexed by status and creation time); uploads kept 30
days, no public bucket, CORS on the buckets limited to the configured origins."""

from __future__ import annotations

import json

import pytest

from applications_repo.jobs_api.application import JOBS_API
from applications_repo.jobs_api.definition import OPENAPI
from applications_repo.jobs_api.names import JobsApiNames
from shared.config import StageName
from shared.naming import StageNaming
from tests.cdk.templates import managed_policy_statements, only, statement


@pytest.fixture(params=list(StageName), ids=lambda s: s.value)
def stage(request):
    return request.param


@pytest.fixture
def api(applications, stage):
    naming = StageNaming.of(applications.config, stage)
    context = JOBS_API.context(applications.config, stage)
    template = applications.application_template(stage, JOBS_API.name)
    return JobsApiNames(naming), context.app, template


def paths(template) -> dict[str, str]:
    """Each resource's logical id -> its full path, from the root."""
    resources = template.find_resources("AWS::ApiGateway::Resource")
    found: dict[str, str] = {}

    def path_of(logical: str) -> str:
        if logical not in found:
            properties = resources[logical]["Properties"]
            parent = properties["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            found[logical] = f"{prefix}/{properties['PathPart']}"
        return found[logical]

    return {logical: path_of(logical) for logical in resources}


def methods(template) -> dict[tuple[str, str], dict]:
    by_id = paths(template)
    result = {}
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        resource = properties["ResourceId"]
        path = by_id[resource["Ref"]] if "Ref" in resource else "/"
        result[(path, properties["HttpMethod"])] = properties
    return result


def test_the_api_has_a_method_for_each_operation_of_the_committed_document(api):
    names, _, template = api
    only(template, "AWS::ApiGateway::RestApi", {"Name": names.rest_api})
    document = json.loads(OPENAPI.read_text())
    documented = {(p, m.upper()) for p, item in document["paths"].items() for m in item}
    found = {key for key in methods(template) if key[1] != "OPTIONS"}
    assert found == documented | {("/openapi.json", "GET"), ("/docs", "GET")}


def test_every_method_is_a_proxy_of_the_api_function(api):
    _, _, template = api
    for (path, verb), method in methods(template).items():
        integration = method["Integration"]
        assert (integration["Type"], integration["IntegrationHttpMethod"]) == ("AWS_PROXY", "POST")
        uri = json.dumps(integration["Uri"])
        assert "ApiFunction" in uri, (path, verb)


def test_prod_methods_need_iam_and_dev_none_and_preflights_are_open(api, stage):
    _, own, template = api
    assert own.auth == ("none" if stage is StageName.DEV else "iam")
    for (path, verb), method in methods(template).items():
        wanted = "NONE" if verb == "OPTIONS" or own.auth == "none" else "AWS_IAM"
        assert method["AuthorizationType"] == wanted, (path, verb)
        assert method.get("ApiKeyRequired", False) is False


def test_the_stage_logs_every_request_traces_and_throttles(api, stage):
    names, own, template = api
    found = template.find_resources("AWS::ApiGateway::Stage")
    [properties] = [s["Properties"] for s in found.values()]
    assert properties["StageName"] == stage.value
    assert properties["TracingEnabled"] is True
    log_format = json.loads(properties["AccessLogSetting"]["Format"])
    assert {"requestId", "ip", "status", "httpMethod", "resourcePath"} <= set(log_format)
    [settings] = properties["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (
        own.throttle_rate,
        own.throttle_burst,
    )
    group = only(template, "AWS::Logs::LogGroup", {"LogGroupName": names.access_log_group})
    assert "KmsKeyId" in group["Properties"]
    destination = json.dumps(properties["AccessLogSetting"]["DestinationArn"])
    assert [k for k in template.find_resources("AWS::Logs::LogGroup") if k in destination]


def test_the_usage_plan_throttles_the_stage(api):
    names, own, template = api
    plan = only(template, "AWS::ApiGateway::UsagePlan", {"UsagePlanName": names.usage_plan})
    properties = plan["Properties"]
    assert properties["Throttle"] == {
        "RateLimit": own.throttle_rate,
        "BurstLimit": own.throttle_burst,
    }
    assert len(properties["ApiStages"]) == 1


def test_api_gateways_own_errors_are_problem_details(api):
    _, _, template = api
    responses = template.find_resources("AWS::ApiGateway::GatewayResponse")
    kinds = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses.values()}
    assert set(kinds) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for properties in kinds.values():
        [template_body] = properties["ResponseTemplates"].values()
        assert list(properties["ResponseTemplates"]) == ["application/problem+json"]
        assert "$context.error.messageString" in template_body


def test_the_api_function_is_told_the_origins_and_has_its_validation_layer(api):
    names, own, template = api
    function = only(template, "AWS::Lambda::Function", {"FunctionName": names.api_function})
    properties = function["Properties"]
    environment = properties["Environment"]["Variables"]
    assert json.loads(environment["ALLOWED_ORIGINS"]) == list(own.origins)
    assert environment["METADATA_TABLE"] == names.jobs_table
    assert properties["Timeout"] == 29
    assert len(properties["Layers"]) == 1


def test_the_jobs_table_is_on_demand_recoverable_encrypted_and_indexed(api):
    names, _, template = api
    table = only(template, "AWS::DynamoDB::GlobalTable", {"TableName": names.jobs_table})
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"]["SSEEnabled"] is True
    [replica] = properties["Replicas"]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    indexes = {
        i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
        for i in properties["GlobalSecondaryIndexes"]
    }
    assert indexes["by-status"] == ["processing_status", "created_at"]
    assert indexes["by-created"] == ["listed", "created_at"]


def test_the_buckets_are_private_with_cors_for_the_configured_origins(api):
    names, own, template = api
    for bucket_name, method in ((names.input_bucket, "POST"), (names.output_bucket, "GET")):
        bucket = only(template, "AWS::S3::Bucket", {"BucketName": bucket_name})["Properties"]
        assert bucket["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
        [rule] = bucket["CorsConfiguration"]["CorsRules"]
        assert rule["AllowedMethods"] == [method]
        assert rule["AllowedOrigins"] == list(own.origins)
    uploads = only(template, "AWS::S3::Bucket", {"BucketName": names.input_bucket})
    rules = uploads["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == 30 for r in rules)


def test_the_api_role_signs_only_the_jobs_keys(api):
    names, _, template = api
    statements = managed_policy_statements(template, f"What {names.api_function} may do")
    uploads = json.dumps(statement(statements, "SignUploads")["Resource"])
    downloads = json.dumps(statement(statements, "SignDownloads")["Resource"])
    assert f"{names.input_bucket}/uploads/*" in uploads
    assert f"{names.output_bucket}/jobs/*" in downloads


def test_the_diagrams_show_seven_steps_and_the_stack_of_each_stage(applications):
    from applications_repo.jobs_api.diagrams import data_flow, deployed_stacks  # noqa: PLC0415

    context = JOBS_API.context(applications.config, StageName.DEV)
    names = JobsApiNames(context.naming)
    steps = data_flow(names)
    assert [s.number for s in steps] == list(range(1, 8))
    assert steps[1].target == names.input_bucket
    assert steps[4].source == names.job
    assert deployed_stacks(context, applications.stacks) == {
        stage: [StageNaming.of(applications.config, stage).application_stack(JOBS_API.name)]
        for stage in StageName
    }
