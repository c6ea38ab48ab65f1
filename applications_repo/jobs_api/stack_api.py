"""jobs-api's REST API: a resource and method for each operation of the committed OpenAPI
document (generated from the API function's routes), each a Lambda proxy integration of the
API function; the stage's access logs, throttling and tracing; the usage plan (and its API
key when ``auth`` is ``api_key``); API Gateway's own errors as problem details."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from applications_repo.jobs_api.definition import OPENAPI
from shared.compliance import acknowledge

if TYPE_CHECKING:
    from applications_repo.jobs_api.infrastructure import JobsApiStack

SERVED = (("/openapi.json", "GET"), ("/docs", "GET"))
"""Routes of the function left out of the document: the document itself and its page."""
AUTHORIZATION = {
    "none": apigateway.AuthorizationType.NONE,
    "iam": apigateway.AuthorizationType.IAM,
    "api_key": apigateway.AuthorizationType.NONE,
}
PROBLEM_TEMPLATE = (
    '{"type":"about:blank","title":$context.error.messageString,'
    '"detail":"API Gateway answered $context.error.responseType '
    '(request $context.requestId)"}'
)


def operations() -> list[tuple[str, str]]:
    """``(path, method)`` of every operation of the committed document, and those served
    beside it."""
    document = json.loads(OPENAPI.read_text())
    found = [
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    return [*found, *SERVED]


def rest_api(stack: JobsApiStack, function: lambda_.IFunction) -> apigateway.RestApi:
    n, names, own = stack.naming, stack.names, stack.own
    access_logs = logs.LogGroup(
        stack,
        "AccessLogs",
        log_group_name=names.access_log_group,
        retention=stack.retention,
        encryption_key=stack.key,
        removal_policy=stack.removal,
    )
    api = apigateway.RestApi(
        stack,
        "Api",
        rest_api_name=names.rest_api,
        description="jobs-api: upload Parquet files, convert them to JSON, download the JSON.",
        endpoint_types=[apigateway.EndpointType.REGIONAL],
        cloud_watch_role=False,
        deploy_options=apigateway.StageOptions(
            stage_name=n.stage.value,
            access_log_destination=apigateway.LogGroupLogDestination(access_logs),
            access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                caller=True,
                http_method=True,
                ip=True,
                protocol=True,
                request_time=True,
                resource_path=True,
                response_length=True,
                status=True,
                user=True,
            ),
            throttling_rate_limit=own.throttle_rate,
            throttling_burst_limit=own.throttle_burst,
            tracing_enabled=True,
            metrics_enabled=True,
        ),
    )
    integration = apigateway.LambdaIntegration(function, allow_test_invoke=False)
    authorization = AUTHORIZATION[own.auth]
    for path, method in operations():
        resource = api.root.resource_for_path(path.replace("<", "{").replace(">", "}"))
        resource.add_method(
            method,
            integration,
            authorization_type=authorization,
            api_key_required=own.auth == "api_key",
        )
        if resource.node.try_find_child("OPTIONS") is None:
            # CORS preflights: browsers send them unsigned; the function answers them
            resource.add_method("OPTIONS", integration)
    for response, status in (
        (apigateway.ResponseType.DEFAULT_4_XX, None),
        (apigateway.ResponseType.DEFAULT_5_XX, None),
    ):
        api.add_gateway_response(
            f"Problem{response.response_type}",
            type=response,
            status_code=status,
            templates={"application/problem+json": PROBLEM_TEMPLATE},
        )
    plan = api.add_usage_plan(
        "UsagePlan",
        name=names.usage_plan,
        description=f"Throttles {names.rest_api}: {own.throttle_rate:g} requests a second.",
        throttle=apigateway.ThrottleSettings(
            rate_limit=own.throttle_rate, burst_limit=own.throttle_burst
        ),
        api_stages=[apigateway.UsagePlanPerApiStage(api=api, stage=api.deployment_stage)],
    )
    if own.auth == "api_key":
        plan.add_api_key(api.add_api_key("ApiKey", api_key_name=names.api_key))
    _acknowledge(api, own.auth)
    return api


def _acknowledge(api: apigateway.RestApi, auth: str) -> None:
    acknowledge(
        api,
        "APIG2",
        "The API function validates every request against the OpenAPI document's models "
        "(Powertools, pydantic) and answers 422 with the fields that are wrong; a request "
        "validator would repeat that check without its messages.",
    )
    acknowledge(
        api,
        "APIG3",
        "The API is throttled by its stage and its usage plan; spec 001 is a small team's "
        "tool, for which a WAF web ACL ($5 a month and $1 per rule) protects nothing the "
        "throttling and the authentication do not.",
    )
    acknowledge(
        api,
        "APIG6",
        "Execution logging needs the account's API Gateway CloudWatch role "
        "(AWS::ApiGateway::Account), one for every API of the account, which one "
        "application must not own; the access logs record every request.",
    )
    acknowledge(
        api,
        "COG4",
        "Spec 001 excludes Cognito; callers authenticate with IAM (SigV4) or an API key, "
        "per the auth setting.",
    )
    reason = {
        "none": "auth is none: accepted only for a local or dev stage (config validation "
        "refuses it elsewhere), as spec 001's prototype runs without authentication.",
        "iam": "Only the CORS preflights (OPTIONS) are unauthenticated: browsers send them "
        "unsigned; the function answers them with the allowed origins and nothing else.",
        "api_key": "Callers authenticate with the usage plan's API key (x-api-key); the CORS "
        "preflights (OPTIONS) are unauthenticated, as browsers send them without it.",
    }[auth]
    acknowledge(api, "APIG4", reason)
