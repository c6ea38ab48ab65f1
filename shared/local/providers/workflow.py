"""Providers of Step Functions state machines, Glue crawlers, Athena workgroups and saved
queries, and Secrets Manager secrets."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

from shared.deployability.stage_templates import Resource
from shared.local.providers.base import DeployContext, Properties, as_json
from shared.local.template_walker import Created

SECRET_LENGTH = 32
CRAWLER_SETTINGS = {
    "Description": "Description",
    "TablePrefix": "TablePrefix",
    "SchemaChangePolicy": "SchemaChangePolicy",
    "RecrawlPolicy": "RecrawlPolicy",
    "Configuration": "Configuration",
    "CrawlerSecurityConfiguration": "CrawlerSecurityConfiguration",
    "Schedule": "Schedule",
}


def state_machine(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = props.get("StateMachineName") or ctx.name(resource)
    definition = props.get("DefinitionString") or as_json(props.get("Definition"))
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    arguments: dict[str, Any] = {
        "name": name,
        "definition": definition,
        "roleArn": props["RoleArn"],
        "type": props.get("StateMachineType", "STANDARD"),
    }
    if logging := props.get("LoggingConfiguration"):
        arguments["loggingConfiguration"] = _camel(logging)
    if tracing := props.get("TracingConfiguration"):
        arguments["tracingConfiguration"] = _camel(tracing)
    if tags := props.tags():
        arguments["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    arn = ctx.client("stepfunctions").create_state_machine(**arguments)["stateMachineArn"]
    return Created(arn, {"Arn": arn, "Name": name})


def crawler(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = props.get("Name") or ctx.name(resource)
    arguments: dict[str, Any] = {
        "Name": name,
        "Role": props["Role"],
        "DatabaseName": props["DatabaseName"],
        "Targets": props["Targets"],
    }
    for key, argument in CRAWLER_SETTINGS.items():
        if (value := props.get(key)) is not None:
            arguments[argument] = (
                value["ScheduleExpression"] if key == "Schedule" else _plain(value)
            )
    if tags := props.tags():
        arguments["Tags"] = tags
    ctx.client("glue").create_crawler(**arguments)
    return Created(name)


def work_group(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = props["Name"]
    arguments: dict[str, Any] = {"Name": name}
    if configuration := props.get("WorkGroupConfiguration"):
        arguments["Configuration"] = _plain(configuration)
    if description := props.get("Description"):
        arguments["Description"] = description
    if tags := props.tag_list():
        arguments["Tags"] = tags
    props.only_at_deletion("RecursiveDeleteOption")
    props.get("State")
    ctx.client("athena").create_work_group(**arguments)
    return Created(name)


def named_query(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    arguments: dict[str, Any] = {
        "Name": props["Name"],
        "Database": props["Database"],
        "QueryString": props["QueryString"],
    }
    for key in ("Description", "WorkGroup"):
        if value := props.get(key):
            arguments[key] = value
    query_id = ctx.client("athena").create_named_query(**arguments)["NamedQueryId"]
    return Created(query_id, {"NamedQueryId": query_id})


def secret(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    """A secret with its value: the template's ``SecretString``, else one generated as
    ``GenerateSecretString`` says (the value a deployment starts with)."""
    arguments: dict[str, Any] = {"Name": props.get("Name") or ctx.name(resource)}
    if value := props.get("SecretString"):
        arguments["SecretString"] = value
    else:
        arguments["SecretString"] = _generated(props.get("GenerateSecretString") or {})
    for key in ("Description", "KmsKeyId"):
        if value := props.get(key):
            arguments[key] = value
    if tags := props.tag_list():
        arguments["Tags"] = tags
    arn = ctx.client("secretsmanager").create_secret(**arguments)["ARN"]
    return Created(arn, {"Id": arn})


def _generated(spec: Mapping[str, Any]) -> str:
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?[]^_{|}~"
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    value = "".join(
        secrets.choice(alphabet) for _ in range(spec.get("PasswordLength", SECRET_LENGTH))
    )
    if template := spec.get("SecretStringTemplate"):
        return json.dumps({**json.loads(template), spec["GenerateStringKey"]: value})
    return value


def _plain(value: Any) -> Any:
    """Template booleans and numbers come as strings in places; the API wants them typed."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value in ("true", "false"):
        return value == "true"
    return value


def _camel(value: Any) -> Any:
    """Step Functions' API spells the template's ``PascalCase`` keys ``camelCase``."""
    if isinstance(value, Mapping):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value
