"""What the applications need of a stage's infrastructure, as one version number.

Both apps build from one repository, and a change under ``shared/`` starts both pipelines with
no order between them. The infrastructure app's last stack publishes the contract version it
was built with (a stack output, not an export); before each stage deployment the applications
pipeline reads it and stops, with a message saying why, while that stage's infrastructure is
older than the version the applications were built against.

Bump ``CONTRACT_VERSION`` in the commit that makes the infrastructure app add or change
something the applications rely on (a bucket, role, database, key or permission).
"""

from __future__ import annotations

from typing import Any

from shared.errors import PlatformError
from shared.naming import AppName, Concern, StageNaming

CONTRACT_VERSION = 3
"""1: buckets, catalog, roles; 2: Glue logs under --custom-logGroup-prefix, the audit trail;
3: the shared roles hold only what every application shares (each application's own role and
grants are in its stack)."""
CONTRACT_OUTPUT = "PlatformContractVersion"
PUBLISHING_STACK = Concern.ACCESS
"""The infrastructure stack deployed last: once it carries a version, the stage has all of it."""


class InfrastructureBehindError(PlatformError):
    """The stage's infrastructure is older than the applications need."""


def publishing_stack(naming: StageNaming) -> str:
    """The name of the stack that carries the stage's contract version."""
    return naming.stack_name(AppName.INFRASTRUCTURE, PUBLISHING_STACK)


def check(cloudformation: Any, naming: StageNaming, required: int = CONTRACT_VERSION) -> int:
    """The deployed contract version of the stage, when it is at least ``required``.

    Raises:
        InfrastructureBehindError: naming the stage, the versions and what to do.
    """
    stack = publishing_stack(naming)
    run_first = (
        f"deploy the infrastructure pipeline's {naming.stage} stage first (it deploys on the "
        "same push), then retry this stage"
    )
    try:
        [found] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise InfrastructureBehindError(
            f"{naming.stage}: stack {stack} not found ({error.response['Error']['Code']}): "
            f"{run_first}"
        ) from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    deployed = int(outputs.get(CONTRACT_OUTPUT, 0))
    if deployed < required:
        raise InfrastructureBehindError(
            f"{naming.stage}: the infrastructure is at contract version {deployed}, these "
            f"applications need {required}: {run_first}"
        )
    return deployed
