"""medallion's analytics: the crawler that registers gold's partitions in the stage's
catalog, and the Athena workgroup (encrypted results, a scan limit) with the saved queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3

from applications_repo.medallion.layers import CURATED_PREFIX, STAGING_PREFIX
from shared.compliance import acknowledge

if TYPE_CHECKING:
    from applications_repo.medallion.infrastructure import MedallionStack

GB = 1_000_000_000


def saved_queries(table: str) -> dict[str, tuple[str, str]]:
    """``name: (description, SQL)``: the spec's query and two a data team asks first."""
    return {
        "curated-month": (
            "Spec 004's query: a month of curated orders (partitions prune the scan).",
            f"SELECT * FROM {table} WHERE year = '2025' AND month = '11' LIMIT 100",
        ),
        "daily-totals": (
            "Orders and amount per day and currency.",
            f"SELECT year, month, day, currency, count(*) AS orders, sum(amount) AS amount "
            f"FROM {table} GROUP BY year, month, day, currency "
            f"ORDER BY year, month, day, currency",
        ),
        "status-mix": (
            "Orders by status for each day.",
            f"SELECT year, month, day, status, count(*) AS orders FROM {table} "
            f"GROUP BY year, month, day, status ORDER BY year, month, day, status",
        ),
    }


def crawler(stack: MedallionStack) -> glue.CfnCrawler:
    """The crawler runs as the stage's Glue role (spec 004's "Glue Job Role": catalog
    updates and logs), which the stack lets read gold."""
    n, names = stack.naming, stack.names
    found = glue.CfnCrawler(
        stack,
        "CuratedCrawler",
        name=names.crawler,
        description=f"Registers {names.table} and its partitions from gold's curated files.",
        role=n.role_arn(n.glue_service_role),
        database_name=n.database,
        table_prefix=names.table_prefix,
        targets=glue.CfnCrawler.TargetsProperty(
            s3_targets=[
                glue.CfnCrawler.S3TargetProperty(
                    path=f"s3://{names.gold_bucket}/{CURATED_PREFIX}",
                    exclusions=[f"{STAGING_PREFIX.removeprefix(CURATED_PREFIX)}**"],
                )
            ]
        ),
        schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
            update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG"
        ),
        recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(recrawl_behavior="CRAWL_EVERYTHING"),
        crawler_security_configuration=n.glue_security_configuration,
    )
    acknowledge(
        found,
        "GL1",
        f"The crawler runs with the security configuration {n.glue_security_configuration}, "
        "which the infrastructure app defines with CloudWatch Logs (SSE-KMS) encryption under "
        "the stage's rotating KMS key; cdk-nag cannot inspect a configuration referenced by "
        "name, the infrastructure app's CDK tests assert it.",
    )
    return found


def work_group(stack: MedallionStack, results: s3.IBucket) -> athena.CfnWorkGroup:
    n, names, own = stack.naming, stack.names, stack.own
    group = athena.CfnWorkGroup(
        stack,
        "WorkGroup",
        name=names.work_group,
        description="Queries of the medallion gold layer.",
        recursive_delete_option=not stack.context.settings.retain_data,
        work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
            enforce_work_group_configuration=True,
            publish_cloud_watch_metrics_enabled=True,
            bytes_scanned_cutoff_per_query=own.athena_scan_limit_gb * GB,
            result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                output_location=f"s3://{results.bucket_name}/",
                encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                    encryption_option="SSE_S3"
                ),
            ),
        ),
    )
    for name, (description, sql) in saved_queries(names.table).items():
        query = athena.CfnNamedQuery(
            stack,
            f"Query{name.title().replace('-', '')}",
            name=name,
            description=description,
            database=n.database,
            query_string=sql,
            work_group=group.name,
        )
        query.add_dependency(group)
    return group
