"""ProcessLegislators' settings: the ``applications.legislators`` section of platform.yaml."""

from __future__ import annotations

from shared.config import Settings
from shared.config.models import S3PrefixUri


class LegislatorsSettings(Settings):
    """ProcessLegislators' input: persons, memberships and organizations as JSON lines."""

    input_uri: S3PrefixUri = "s3://awsglue-datasets/examples/us-legislators/all/"
    """Where ProcessLegislators reads persons, memberships and organizations. Spec: 002 Glue
    Resources, "ProcessLegislators" (AWS Glue's legislators example data)."""

    @property
    def input_bucket(self) -> str:
        return self.input_uri.removeprefix("s3://").split("/", 1)[0]

    @property
    def input_prefix(self) -> str:
        return self.input_uri.removeprefix("s3://").split("/", 1)[1]
