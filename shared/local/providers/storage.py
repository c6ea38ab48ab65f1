"""Providers of the storage types: S3 buckets and their policies and notifications,
DynamoDB tables, the Glue catalog's databases and security configurations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.deployability.stage_templates import Resource
from shared.local.providers.base import DeployContext, Properties, as_json
from shared.local.template_walker import Created

US_EAST_1 = "us-east-1"


def bucket(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    s3 = ctx.client("s3")
    name = ctx.name(resource)
    s3.create_bucket(Bucket=name, **bucket_location(ctx.region))
    if encryption := props.get("BucketEncryption"):
        rules = [
            {
                "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                **(
                    {"BucketKeyEnabled": rule["BucketKeyEnabled"]}
                    if "BucketKeyEnabled" in rule
                    else {}
                ),
            }
            for rule in encryption["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if versioning := props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=versioning)
    if block := props.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    if ownership := props.get("OwnershipControls"):
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership)
    if lifecycle := props.get("LifecycleConfiguration"):
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={"Rules": [lifecycle_rule(r) for r in lifecycle["Rules"]]},
        )
    if logging := props.get("LoggingConfiguration"):
        enabled = {"TargetBucket": logging["DestinationBucketName"]}
        enabled["TargetPrefix"] = logging.get("LogFilePrefix", "")
        status = {"LoggingEnabled": enabled}
        ctx.defer(lambda: s3.put_bucket_logging(Bucket=name, BucketLoggingStatus=status))
    if notifications := props.get("NotificationConfiguration"):
        put_notifications(ctx, name, notifications)
    if cors := props.get("CorsConfiguration"):
        s3.put_bucket_cors(
            Bucket=name, CORSConfiguration={"CORSRules": [cors_rule(r) for r in cors["CorsRules"]]}
        )
    if tags := props.tag_list():
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
    return Created(
        name,
        {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        },
    )


def bucket_location(region: str) -> dict[str, Any]:
    """CreateBucket's location argument: none in us-east-1, the region elsewhere."""
    if region == US_EAST_1:
        return {}
    return {"CreateBucketConfiguration": {"LocationConstraint": region}}


def lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A lifecycle rule from CloudFormation's shape to the API's."""
    converted: dict[str, Any] = {"ID": rule.get("Id", ""), "Status": rule["Status"]}
    converted["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "ExpiredObjectDeleteMarker" in rule:
        converted["Expiration"] = {"ExpiredObjectDeleteMarker": rule["ExpiredObjectDeleteMarker"]}
    for key in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
        if key in rule:
            converted[key] = rule[key]
    if "Transitions" in rule:
        converted["Transitions"] = [
            {"Days": t["TransitionInDays"], "StorageClass": t["StorageClass"]}
            for t in rule["Transitions"]
        ]
    return converted


def put_notifications(ctx: DeployContext, bucket_name: str, config: Mapping[str, Any]) -> None:
    """A bucket's notifications (the Bucket property, or CDK's notifications resource)."""
    converted: dict[str, Any] = {}
    if config.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled", True) and (
        "EventBridgeConfiguration" in config
    ):
        converted["EventBridgeConfiguration"] = {}
    for source, target, arn_key, template_key in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "LambdaFunctionArn", "Function"),
        ("QueueConfigurations", "QueueConfigurations", "QueueArn", "Queue"),
        ("TopicConfigurations", "TopicConfigurations", "TopicArn", "Topic"),
    ):
        entries = []
        for entry in config.get(source, []):
            events = entry.get("Events") or [entry["Event"]]
            item: dict[str, Any] = {arn_key: entry.get(arn_key) or entry[template_key]}
            item["Events"] = events
            if rules := entry.get("Filter", {}).get("S3Key", {}).get("Rules"):
                item["Filter"] = {"Key": {"FilterRules": rules}}
            elif "Filter" in entry:
                item["Filter"] = entry["Filter"]
            entries.append(item)
        if entries:
            converted[target] = entries
    ctx.client("s3").put_bucket_notification_configuration(
        Bucket=bucket_name, NotificationConfiguration=converted
    )


def bucket_policy(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    name = props["Bucket"]
    ctx.client("s3").put_bucket_policy(Bucket=name, Policy=as_json(props["PolicyDocument"]))
    return Created(ctx.name(resource))


def bucket_notifications(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    """CDK's ``Custom::S3BucketNotifications``: the notifications it puts on a bucket."""
    props.only_at_deletion("ServiceToken", "Managed", "SkipDestinationValidation")
    put_notifications(ctx, props["BucketName"], props["NotificationConfiguration"])
    return Created(ctx.name(resource))


def table(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    """A DynamoDB table (``AWS::DynamoDB::Table``, or a GlobalTable's replica in this region)."""
    dynamodb = ctx.client("dynamodb")
    name = ctx.name(resource)
    replica: Mapping[str, Any] = {}
    if "Replicas" in props:
        replica = next(r for r in props["Replicas"] if r["Region"] == ctx.region)
    arguments: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
        if value := props.get(key):
            arguments[key] = [_index(i) for i in value] if key.endswith("Indexes") else value
    if stream := props.get("StreamSpecification"):
        arguments["StreamSpecification"] = {"StreamEnabled": True, **stream}
    if sse := props.get("SSESpecification"):
        arguments["SSESpecification"] = {
            "Enabled": sse.get("SSEEnabled", True),
            **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
            **_kms_key(replica.get("SSESpecification", sse)),
        }
    if tags := (Properties(replica).tag_list() if replica else props.tag_list()):
        arguments["Tags"] = tags
    if props.get("DeletionProtectionEnabled") or replica.get("DeletionProtectionEnabled"):
        arguments["DeletionProtectionEnabled"] = True
    described = dynamodb.create_table(**arguments)["TableDescription"]
    if ttl := props.get("TimeToLiveSpecification"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    recovery = props.get("PointInTimeRecoverySpecification") or replica.get(
        "PointInTimeRecoverySpecification"
    )
    if recovery:
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification=recovery
        )
    attributes = {"Arn": described["TableArn"]}
    if "LatestStreamArn" in described:
        attributes["StreamArn"] = described["LatestStreamArn"]
    return Created(name, attributes)


def _index(index: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in index.items() if k not in ("ContributorInsightsSpecification",)}


def _kms_key(sse: Mapping[str, Any]) -> dict[str, str]:
    key = sse.get("KMSMasterKeyId")
    return {"KMSMasterKeyId": key} if key else {}


def glue_database(ctx: DeployContext, resource: Resource, props: Properties) -> Created:
    database = props["DatabaseInput"]
    props.get("CatalogId")
    ctx.client("glue").create_database(DatabaseInput=database)
    return Created(database["Name"])


def glue_security_configuration(
    ctx: DeployContext, resource: Resource, props: Properties
) -> Created:
    config = dict(props["EncryptionConfiguration"])
    if "S3Encryptions" in config:
        config["S3Encryption"] = config.pop("S3Encryptions")
    name = props["Name"]
    ctx.client("glue").create_security_configuration(Name=name, EncryptionConfiguration=config)
    return Created(name)


CORS_FIELDS = {
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "AllowedHeaders": "AllowedHeaders",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
    "Id": "ID",
}
"""A CORS rule's template fields, as the S3 API names them."""


def cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {CORS_FIELDS[key]: value for key, value in rule.items()}
