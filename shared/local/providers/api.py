"""Providers of API Gateway REST APIs: the API, its resources and methods, deployments and
stages (access log and method settings), usage plans, API keys and gateway responses, each
created in the local AWS, which the local runtime's API server reads (``rest_apis``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.deployability.stage_templates import Resource
from shared.local.providers.base import DeployContext, Properties, as_json
from shared.local.template_walker import Created

METHOD_SETTINGS = {
    "ThrottlingRateLimit": "throttling/rateLimit",
    "ThrottlingBurstLimit": "throttling/burstLimit",
    "LoggingLevel": "logging/loglevel",
    "DataTraceEnabled": "logging/dataTrace",
    "MetricsEnabled": "metrics/enabled",
    "CachingEnabled": "caching/enabled",
    "CacheDataEncrypted": "caching/dataEncrypted",
}
"""A stage's ``MethodSettings`` fields, as the paths of the API's patch operations."""


def rest_api(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {"name": props.get("Name") or ctx.name(resource)}
    if description := props.get("Description"):
        arguments["description"] = description
    if endpoint := props.get("EndpointConfiguration"):
        arguments["endpointConfiguration"] = {"types": endpoint.get("Types", ["EDGE"])}
    if policy := props.get("Policy"):
        arguments["policy"] = as_json(policy)
    if (binary := props.get("BinaryMediaTypes")) is not None:
        arguments["binaryMediaTypes"] = binary
    if (minimum := props.get("MinimumCompressionSize")) is not None:
        arguments["minimumCompressionSize"] = int(minimum)
    if (disabled := props.get("DisableExecuteApiEndpoint")) is not None:
        arguments["disableExecuteApiEndpoint"] = bool(disabled)
    if tags := props.tags():
        arguments["tags"] = tags
    api = ctx.client("apigateway").create_rest_api(**arguments)
    return Created(api["id"], {"RootResourceId": api["rootResourceId"], "RestApiId": api["id"]})


def api_resource(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    created = ctx.client("apigateway").create_resource(
        restApiId=props["RestApiId"], parentId=props["ParentId"], pathPart=props["PathPart"]
    )
    return Created(created["id"], {"ResourceId": created["id"]})


def method(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    client = ctx.client("apigateway")
    api, resource_id, verb = props["RestApiId"], props["ResourceId"], props["HttpMethod"]
    arguments: dict[str, Any] = {
        "restApiId": api,
        "resourceId": resource_id,
        "httpMethod": verb,
        "authorizationType": props.get("AuthorizationType", "NONE"),
        "apiKeyRequired": bool(props.get("ApiKeyRequired", False)),
    }
    for key, argument in (
        ("OperationName", "operationName"),
        ("RequestParameters", "requestParameters"),
        ("RequestModels", "requestModels"),
        ("AuthorizerId", "authorizerId"),
        ("RequestValidatorId", "requestValidatorId"),
    ):
        if (value := props.get(key)) is not None:
            arguments[argument] = value
    client.put_method(**arguments)
    for response in props.get("MethodResponses") or []:
        client.put_method_response(
            restApiId=api,
            resourceId=resource_id,
            httpMethod=verb,
            statusCode=str(response["StatusCode"]),
            responseParameters=response.get("ResponseParameters", {}),
            responseModels=response.get("ResponseModels", {}),
        )
    if integration := props.get("Integration"):
        _integration(client, api, resource_id, verb, integration)
    return Created(f"{api}-{resource_id}-{verb}")


def _integration(
    client: Any, api: str, resource_id: str, verb: str, integration: Mapping[str, Any]
) -> None:
    arguments: dict[str, Any] = {
        "restApiId": api,
        "resourceId": resource_id,
        "httpMethod": verb,
        "type": integration["Type"],
    }
    for key, argument in (
        ("IntegrationHttpMethod", "integrationHttpMethod"),
        ("Uri", "uri"),
        ("Credentials", "credentials"),
        ("RequestTemplates", "requestTemplates"),
        ("RequestParameters", "requestParameters"),
        ("PassthroughBehavior", "passthroughBehavior"),
        ("TimeoutInMillis", "timeoutInMillis"),
        ("ContentHandling", "contentHandling"),
    ):
        if (value := integration.get(key)) is not None:
            arguments[argument] = value
    client.put_integration(**arguments)
    for response in integration.get("IntegrationResponses") or []:
        client.put_integration_response(
            restApiId=api,
            resourceId=resource_id,
            httpMethod=verb,
            statusCode=str(response["StatusCode"]),
            selectionPattern=response.get("SelectionPattern", ""),
            responseParameters=response.get("ResponseParameters", {}),
            responseTemplates=response.get("ResponseTemplates", {}),
        )


def deployment(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {"restApiId": props["RestApiId"]}
    if description := props.get("Description"):
        arguments["description"] = description
    if stage_name := props.get("StageName"):
        arguments["stageName"] = stage_name
    created = ctx.client("apigateway").create_deployment(**arguments)
    return Created(created["id"], {"DeploymentId": created["id"]})


def stage(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    client = ctx.client("apigateway")
    api, name = props["RestApiId"], props["StageName"]
    arguments: dict[str, Any] = {
        "restApiId": api,
        "stageName": name,
        "deploymentId": props["DeploymentId"],
        "variables": props.get("Variables") or {},
        "tracingEnabled": bool(props.get("TracingEnabled", False)),
    }
    if description := props.get("Description"):
        arguments["description"] = description
    if tags := props.tags():
        arguments["tags"] = tags
    client.create_stage(**arguments)
    operations = [
        {"op": "replace", "path": f"/accessLogSettings/{field}", "value": value}
        for field, value in (
            ("destinationArn", (props.get("AccessLogSetting") or {}).get("DestinationArn")),
            ("format", (props.get("AccessLogSetting") or {}).get("Format")),
        )
        if value
    ]
    for setting in props.get("MethodSettings") or []:
        # ResourcePath is encoded as the patch paths are ("/*", "/~1jobs"), the method after it
        target = f"{setting.get('ResourcePath', '/*')}/{setting.get('HttpMethod', '*')}"
        operations += [
            {"op": "replace", "path": f"{target}/{patch}", "value": str(setting[key]).lower()}
            for key, patch in METHOD_SETTINGS.items()
            if key in setting
        ]
    if operations:
        client.update_stage(restApiId=api, stageName=name, patchOperations=operations)
    props.get("CacheClusterEnabled")
    return Created(name)


def usage_plan(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    payload: dict[str, Any] = {"name": props.get("UsagePlanName") or ctx.name(resource)}
    if description := props.get("Description"):
        payload["description"] = description
    if stages := props.get("ApiStages"):
        payload["apiStages"] = [
            {"apiId": s["ApiId"], "stage": s["Stage"], "throttle": _limits(s.get("Throttle"))}
            for s in stages
        ]
    if throttle := props.get("Throttle"):
        payload["throttle"] = {
            "rateLimit": throttle.get("RateLimit"),
            "burstLimit": throttle.get("BurstLimit"),
        }
    if quota := props.get("Quota"):
        payload["quota"] = {k[0].lower() + k[1:]: v for k, v in quota.items()}
    if tags := props.tags():
        payload["tags"] = tags
    created = ctx.client("apigateway").create_usage_plan(**payload)
    return Created(created["id"], {"Id": created["id"]})


def _limits(throttles: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        path: {"rateLimit": t.get("RateLimit"), "burstLimit": t.get("BurstLimit")}
        for path, t in (throttles or {}).items()
    }


def api_key(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {
        "name": props.get("Name") or ctx.name(resource),
        "enabled": bool(props.get("Enabled", False)),
    }
    if value := props.get("Value"):
        arguments["value"] = value
    if description := props.get("Description"):
        arguments["description"] = description
    if tags := props.tags():
        arguments["tags"] = tags
    props.get("StageKeys")
    created = ctx.client("apigateway").create_api_key(**arguments)
    return Created(created["id"], {"APIKeyId": created["id"]})


def usage_plan_key(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    created = ctx.client("apigateway").create_usage_plan_key(
        usagePlanId=props["UsagePlanId"], keyId=props["KeyId"], keyType=props["KeyType"]
    )
    return Created(created["id"], {"Id": created["id"]})


def gateway_response(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {
        "restApiId": props["RestApiId"],
        "responseType": props["ResponseType"],
        "responseParameters": props.get("ResponseParameters") or {},
        "responseTemplates": props.get("ResponseTemplates") or {},
    }
    if status := props.get("StatusCode"):
        arguments["statusCode"] = str(status)
    ctx.client("apigateway").put_gateway_response(**arguments)
    return Created(f"{props['RestApiId']}-{props['ResponseType']}")
