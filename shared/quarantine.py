"""Quarantine: where a rejected upload is kept, with its reason, in the input bucket.

    quarantine/{key}              a copy of the rejected object version
    quarantine/{key}.reason.json  {"source", "version_id", "reason", "rejected_by", "rejected_at"}

The input bucket's EventBridge rule ignores this prefix, and a lifecycle rule of its own
expires it. This module needs only boto3: Lambda functions and Glue jobs ship it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

QUARANTINE_PREFIX = "quarantine/"


def quarantine_calls(bucket: str) -> tuple[tuple[str, str], ...]:
    """The AWS calls ``quarantine`` makes on ``bucket`` (an ARN-template name, see
    ``shared.deployability.runtime_calls``): read the rejected object, write its copy and
    reason under the prefix."""
    objects = f"arn:{{partition}}:s3:::{bucket}"
    return (
        ("s3:GetObject", f"{objects}/*"),
        ("s3:GetObjectVersion", f"{objects}/*"),
        ("s3:PutObject", f"{objects}/{QUARANTINE_PREFIX}*"),
    )


REASON_SUFFIX = ".reason.json"
# S3 copies larger objects only in parts; a function with seconds to live records the reason
# and leaves such an object where it is.
MAX_COPY_BYTES = 5 * 1024**3


def quarantine_key(key: str) -> str:
    """Where the copy of ``key`` goes."""
    return f"{QUARANTINE_PREFIX}{key}"


def reason_key(key: str) -> str:
    """Where the reason for ``key`` goes."""
    return f"{QUARANTINE_PREFIX}{key}{REASON_SUFFIX}"


def quarantine(
    s3_client,
    *,
    bucket: str,
    key: str,
    version_id: str | None,
    size: int,
    reason: str,
    rejected_by: str,
) -> str:
    """Copy the object version into the quarantine with its reason; returns the reason's URI.

    A folder marker or an object too large to copy in one request is not copied: the reason
    then names where it still is.
    """
    copied = not key.endswith("/") and size <= MAX_COPY_BYTES
    if copied:
        source = {"Bucket": bucket, "Key": key}
        if version_id:
            source["VersionId"] = version_id
        s3_client.copy_object(Bucket=bucket, Key=quarantine_key(key), CopySource=source)
    document = {
        "source": f"s3://{bucket}/{key}",
        "version_id": version_id,
        "reason": reason,
        "rejected_by": rejected_by,
        "rejected_at": datetime.now(UTC).isoformat(),
        "copy": f"s3://{bucket}/{quarantine_key(key)}" if copied else None,
    }
    s3_client.put_object(
        Bucket=bucket,
        Key=reason_key(key),
        Body=json.dumps(document, ensure_ascii=False).encode("utf-8"),
        ContentType="application/json",
    )
    return f"s3://{bucket}/{reason_key(key)}"
