"""REST APIs, served on 127.0.0.1 as API Gateway serves them: routes from the deployed
resources and methods, the proxy event, API keys, throttling, the function's permission,
gateway responses and access logs, from a small template."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.local.templates import function, role, template

ECHO = (
    "import json\n"
    "def handler(event, context):\n"
    "    seen = {k: event[k] for k in ('resource', 'path', 'httpMethod', 'pathParameters',\n"
    "            'queryStringParameters', 'body')}\n"
    "    seen['stage'] = event['requestContext']['stage']\n"
    "    return {'statusCode': 200, 'headers': {'X-Echo': 'yes'}, 'body': json.dumps(seen)}\n"
)
BROKEN = "def handler(event, context):\n    return 'not a proxy response'\n"
KEY = "local-key-0123456789abcdefghij"


def api_id() -> dict[str, str]:
    return {"Ref": "Api"}


def method(resource: dict[str, Any], verb: str, target: str, **extra: Any) -> dict[str, Any]:
    uri = {
        "Fn::Join": [
            "",
            [
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/",
                {"Fn::GetAtt": [target, "Arn"]},
                "/invocations",
            ],
        ]
    }
    return {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "RestApiId": api_id(),
            "ResourceId": resource,
            "HttpMethod": verb,
            "AuthorizationType": "NONE",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": uri},
            **extra,
        },
    }


def permission(target: str) -> dict[str, Any]:
    source = {"Fn::Join": ["", ["arn:aws:execute-api:us-east-1:222222222222:", api_id(), "/*/*/*"]]}
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [target, "Arn"]},
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": source,
        },
    }


def api_template(*, rate: float = 100, burst: int = 100) -> dict[str, Any]:
    items = {"Ref": "Items"}
    return template(
        Role=role(),
        Echo=function(ECHO, FunctionName="probe-echo"),
        Broken=function(BROKEN, FunctionName="probe-broken"),
        Unallowed=function(ECHO, FunctionName="probe-unallowed"),
        EchoPermission=permission("Echo"),
        BrokenPermission=permission("Broken"),
        Api={"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "probe-api"}},
        Items={
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": api_id(),
                "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "PathPart": "items",
            },
        },
        Item={
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"RestApiId": api_id(), "ParentId": items, "PathPart": "{id}"},
        },
        Broke={
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": api_id(),
                "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "PathPart": "broken",
            },
        },
        Denied={
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": api_id(),
                "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "PathPart": "denied",
            },
        },
        ListItems=method(items, "GET", "Echo"),
        AddItem=method(items, "POST", "Echo", ApiKeyRequired=True),
        GetItem=method({"Ref": "Item"}, "GET", "Echo"),
        GetBroken=method({"Ref": "Broke"}, "GET", "Broken"),
        GetDenied=method({"Ref": "Denied"}, "GET", "Unallowed"),
        Deployment={
            "Type": "AWS::ApiGateway::Deployment",
            "Properties": {"RestApiId": api_id()},
            "DependsOn": ["ListItems", "AddItem", "GetItem", "GetBroken", "GetDenied"],
        },
        AccessLogs={"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "probe-access"}},
        Stage={
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": api_id(),
                "DeploymentId": {"Ref": "Deployment"},
                "StageName": "dev",
                "AccessLogSetting": {
                    "DestinationArn": {"Fn::GetAtt": ["AccessLogs", "Arn"]},
                    "Format": '{"id":"$context.requestId","status":"$context.status",'
                    '"path":"$context.resourcePath"}',
                },
                "MethodSettings": [
                    {
                        "HttpMethod": "*",
                        "ResourcePath": "/*",
                        "ThrottlingRateLimit": rate,
                        "ThrottlingBurstLimit": burst,
                    }
                ],
            },
        },
        Plan={
            "Type": "AWS::ApiGateway::UsagePlan",
            "Properties": {
                "UsagePlanName": "probe-plan",
                "ApiStages": [{"ApiId": api_id(), "Stage": {"Ref": "Stage"}}],
            },
        },
        Key={"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": True, "Value": KEY}},
        PlanKey={
            "Type": "AWS::ApiGateway::UsagePlanKey",
            "Properties": {
                "KeyId": {"Ref": "Key"},
                "KeyType": "API_KEY",
                "UsagePlanId": {"Ref": "Plan"},
            },
        },
        Problems={
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "RestApiId": api_id(),
                "ResponseType": "DEFAULT_4XX",
                "ResponseTemplates": {
                    "application/problem+json": '{"title":$context.error.messageString}'
                },
            },
        },
    )


def call(url: str, method: str = "GET", body: bytes | None = None, **headers: str):
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_requests_reach_the_function_with_the_proxy_event(stage_of):
    with stage_of(api_template()) as stage:
        base = stage.rest_apis.urls["probe-api"]
        status, headers, body = call(f"{base}/items/42?colour=red")
        assert (status, headers["X-Echo"]) == (200, "yes")
        seen = json.loads(body)
        assert seen == {
            "resource": "/items/{id}",
            "path": "/items/42",
            "httpMethod": "GET",
            "pathParameters": {"id": "42"},
            "queryStringParameters": {"colour": "red"},
            "body": None,
            "stage": "dev",
        }
        assert call(f"{base}/items")[0] == 200
        status, headers, body = call(f"{base}/nothing")
        assert (status, headers["Content-Type"]) == (403, "application/problem+json")
        assert json.loads(body) == {"title": "Missing Authentication Token"}
        logs = stage.session.client("logs")
        events = logs.filter_log_events(logGroupName="probe-access")["events"]
        lines = [json.loads(e["message"]) for e in events]
        assert {"status": "200", "path": "/items/{id}"}.items() <= lines[0].items()
        assert lines[-1]["status"] == "403"


def test_a_method_that_requires_a_key_takes_only_a_key_of_its_usage_plan(stage_of):
    with stage_of(api_template()) as stage:
        base = stage.rest_apis.urls["probe-api"]
        assert call(f"{base}/items", "POST", b"{}")[0] == 403
        assert call(f"{base}/items", "POST", b"{}", **{"x-api-key": "wrong"})[0] == 403
        status, _, body = call(f"{base}/items", "POST", b'{"a": 1}', **{"x-api-key": KEY})
        assert (status, json.loads(body)["body"]) == (200, '{"a": 1}')


def test_the_stage_throttles_past_its_burst(stage_of):
    with stage_of(api_template(rate=0.01, burst=2)) as stage:
        base = stage.rest_apis.urls["probe-api"]
        statuses = [call(f"{base}/items")[0] for _ in range(4)]
        assert statuses == [200, 200, 429, 429]


def test_a_bad_function_result_and_a_missing_permission_are_gateway_errors(stage_of):
    with stage_of(api_template()) as stage:
        base = stage.rest_apis.urls["probe-api"]
        status, _, body = call(f"{base}/broken")
        assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
        status, _, _ = call(f"{base}/denied")
        assert status == 500
        assert [i for i in stage.functions.invocations if i.function == "probe-unallowed"] == []
