"""What every Lambda function of the platform shares."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime Lambda offers (the spec's 3.9 is past its end of support)."""

POWERTOOLS_PACKAGES = ("aws_lambda_powertools", "typing_extensions")
"""Shipped inside each function's bundle (pure Python, versions from requirements.lock)."""

ASYNC_RETRIES = 2
"""Lambda retries a failed asynchronous invocation twice, then hands it to the dead-letter
queue (the local event bus does the same)."""

DEAD_LETTER_RETENTION = Duration.days(14)
"""How long a dead-lettered event waits to be re-driven: SQS's longest retention."""
