"""The CloudWatch metrics the stage's alarms and dashboard are made of."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

from shared import metrics as names

DEAD_LETTER_PERIOD = Duration.minutes(5)


def platform_metric(
    name: str,
    dimensions: dict[str, str],
    period: Duration,
    statistic: str = "Sum",
    namespace: str = names.NAMESPACE,
) -> cw.Metric:
    """A metric of the platform's namespace (or of ``namespace``)."""
    return cw.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map=dimensions,
        period=period,
        statistic=statistic,
    )


def lambda_metric(name: str, dimensions: dict[str, str], period: Duration) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/Lambda",
        metric_name=name,
        dimensions_map=dimensions,
        period=period,
        statistic="Sum",
    )


def queue_depth(queue_name: str) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions_map={"QueueName": queue_name},
        period=DEAD_LETTER_PERIOD,
        statistic="Maximum",
    )


def percent(
    part: cw.Metric,
    *,
    of: cw.Metric | None = None,
    of_total_with: cw.Metric | None = None,
    period: Duration,
) -> cw.MathExpression:
    """``part`` in percent of ``of``, or of ``part`` plus ``of_total_with``; 0 when nothing
    happened in the period."""
    other = of if of is not None else of_total_with
    if other is None:
        raise ValueError("percent() needs of= or of_total_with=")
    total = "w" if of is not None else "(p + w)"
    return cw.MathExpression(
        expression=f"IF({total} > 0, 100 * p / {total}, 0)",
        using_metrics={"p": part, "w": other},
        period=period,
    )
