"""A DynamoDB table with the platform's defaults: billed on demand, encrypted, recoverable to
any second of the last 35 days, kept with the stage's data when ``retain``."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


def recoverable_table(
    scope: Construct, construct_id: str, *, retain: bool, **table: Any
) -> dynamodb.TableV2:
    """A ``TableV2`` on demand, with AWS managed encryption and point-in-time recovery;
    ``table`` holds its name, keys, indexes and the rest of its own properties."""
    return dynamodb.TableV2(
        scope,
        construct_id,
        billing=dynamodb.Billing.on_demand(),
        encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        **table,
    )
