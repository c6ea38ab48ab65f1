"""One stage of the infrastructure app: storage, catalog and access stacks in one account."""

from __future__ import annotations

from constructs import Construct

from infrastructure_repo.access_stack import AccessStack
from infrastructure_repo.audit_stack import AuditStack
from infrastructure_repo.catalog_stack import CatalogStack
from infrastructure_repo.storage_stack import StorageStack
from shared.config import PlatformConfig, StageName
from shared.naming import AppName, Concern
from shared.pipeline import Delivery
from shared.stage import DeploymentStage

APP = AppName.INFRASTRUCTURE


class InfrastructureStage(DeploymentStage):
    """Everything the Glue applications of a stage account rely on."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: PlatformConfig, stage: StageName
    ) -> None:
        super().__init__(scope, construct_id, config=config, stage=stage)
        naming = self.naming
        self.storage = StorageStack(
            self,
            "Storage",
            stack_name=naming.stack_name(APP, Concern.STORAGE),
            description=f"Buckets of the Glue data platform ({stage} stage).",
            naming=naming,
            settings=self.settings,
        )
        if self.settings.audit.trail:
            self.audit = AuditStack(
                self,
                "Audit",
                stack_name=naming.stack_name(APP, Concern.AUDIT),
                description=f"CloudTrail trail of the {stage} account's API calls.",
                naming=naming,
                settings=self.settings,
            )
            self.audit.add_dependency(self.storage)
        self.catalog = CatalogStack(
            self,
            "Catalog",
            stack_name=naming.stack_name(APP, Concern.CATALOG),
            description=f"Glue catalog database and security configuration ({stage} stage).",
            naming=naming,
            settings=self.settings,
        )
        self.access = AccessStack(
            self,
            "Access",
            stack_name=naming.stack_name(APP, Concern.ACCESS),
            description=f"IAM roles of the Glue data platform ({stage} stage).",
            naming=naming,
            settings=self.settings,
            glue_key=self.catalog.key,
            pipeline_account=config.accounts.pipeline.account_id,
        )


DELIVERY = Delivery(APP, InfrastructureStage)
"""What the infrastructure pipeline ships."""
