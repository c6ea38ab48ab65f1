"""Events as AWS delivers them, for the local run and the tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus


def glue_job_state_event(
    *,
    job_name: str,
    run_id: str,
    state: str,
    message: str | None,
    account: str,
    region: str,
) -> dict[str, Any]:
    """A "Glue Job State Change" event, as Glue sends it to EventBridge when a run ends."""
    failed = state in ("FAILED", "TIMEOUT", "ERROR")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Glue Job State Change",
        "source": "aws.glue",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {
            "jobName": job_name,
            "severity": "ERROR" if failed else "INFO",
            "state": state,
            "jobRunId": run_id,
            "message": message or f"Job run {state.lower()}",
        },
    }


def object_created_event(
    *,
    bucket: str,
    key: str,
    size: int,
    version_id: str | None,
    etag: str = "",
    account: str = "000000000000",
    region: str = "us-east-1",
    time: datetime | None = None,
) -> dict[str, Any]:
    """An EventBridge "Object Created" event from S3, its key URL-encoded as S3 encodes it
    (``a b+c.csv`` arrives as ``a+b%2Bc.csv``)."""
    detail_object: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "etag": etag,
        "sequencer": uuid.uuid4().hex[:18].upper(),
    }
    if version_id:
        detail_object["version-id"] = version_id
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": (time or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": detail_object,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account,
            "reason": "PutObject",
        },
    }


S3_REASONS = {
    "Put": "PutObject",
    "Post": "POST Object",
    "Copy": "CopyObject",
    "CompleteMultipartUpload": "CompleteMultipartUpload",
    "Delete": "DeleteObject",
    "DeleteMarkerCreated": "DeleteObject",
}


def s3_event(
    *,
    event_name: str,
    bucket: str,
    key: str,
    size: int,
    version_id: str | None,
    etag: str,
    account: str,
    region: str,
) -> dict[str, Any]:
    """The EventBridge event S3 sends for a notification event name such as
    ``s3:ObjectCreated:Put`` or ``s3:ObjectRemoved:Delete``."""
    kind = event_name.split(":")[2] if event_name.count(":") >= 2 else "Put"
    version = None if version_id in (None, "null") else version_id
    if event_name.startswith("s3:ObjectCreated"):
        event = object_created_event(
            bucket=bucket,
            key=key,
            size=size,
            version_id=version,
            etag=etag,
            account=account,
            region=region,
        )
        event["detail"]["reason"] = S3_REASONS.get(kind, kind)
        return event
    event = object_created_event(
        bucket=bucket, key=key, size=0, version_id=version, account=account, region=region
    )
    event["detail-type"] = "Object Deleted"
    del event["detail"]["object"]["size"], event["detail"]["object"]["etag"]
    event["detail"]["reason"] = S3_REASONS.get(kind, kind)
    event["detail"]["deletion-type"] = (
        "Delete Marker Created" if kind == "DeleteMarkerCreated" else "Permanently Deleted"
    )
    return event
