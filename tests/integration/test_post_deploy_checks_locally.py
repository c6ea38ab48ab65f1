"""The post-deploy tests of both pipelines, run against the local stage: one set of
assertions for moto here and for AWS after a deployment."""

from __future__ import annotations

import pytest

from tests.post_deploy.test_applications import (  # noqa: F401 (collected here as well)
    test_an_uploaded_csv_becomes_parquet,
    test_process_legislators_succeeds,
    test_the_glue_job_processes_an_upload_with_spark,
    uploaded,
)
from tests.post_deploy.test_infrastructure import (  # noqa: F401
    test_buckets_exist_with_configured_encryption_versioning_and_lifecycle,
)

pytestmark = pytest.mark.integration
