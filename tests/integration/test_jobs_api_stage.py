"""jobs-api in the dev stage of the local AWS, made from its synthesized templates: its REST
API served by the local API Gateway, the requests going through the deployed routes, the
API function, S3's events, the parquet-to-json conversion and the pre-signed URLs."""

from __future__ import annotations

import pytest

from tests.post_deploy.test_jobs_api import (  # noqa: F401 (collected here as well)
    test_an_unknown_job_is_a_404_problem,
    test_an_uploaded_file_is_converted_and_downloads_as_json,
)

pytestmark = pytest.mark.integration
