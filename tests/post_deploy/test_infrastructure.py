"""Post-deploy smoke tests of the infrastructure app: the stage's buckets are as configured."""

from __future__ import annotations

from tests.post_deploy.checks import bucket_problems


def test_buckets_exist_with_configured_encryption_versioning_and_lifecycle(
    aws_session, naming, settings
):
    # GIVEN the deployed stage  WHEN its buckets are read back
    problems = bucket_problems(aws_session.client("s3"), naming, settings)
    # THEN each exists with SSE-S3, versioning, public access blocked and lifecycle as configured
    assert problems == []
