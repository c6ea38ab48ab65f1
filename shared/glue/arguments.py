"""Job arguments: ``getResolvedOptions`` under AWS Glue, an equivalent parser elsewhere."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def resolve_arguments(
    argv: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, str]:
    """The job's ``--NAME value`` arguments.

    Under AWS Glue this is ``awsglue.utils.getResolvedOptions`` (which also accepts Glue's own
    arguments such as ``--JOB_RUN_ID``); elsewhere a parser with the same contract: every
    required name must be given, unknown ``--`` arguments are ignored, optional names are
    included when present.
    """
    try:
        from awsglue.utils import getResolvedOptions  # noqa: PLC0415 (only inside Glue)
    except ImportError:
        return _resolve_locally(argv, required, optional)
    present = [name for name in optional if f"--{name}" in argv]
    return getResolvedOptions(list(argv), [*required, *present])


def _resolve_locally(
    argv: Sequence[str], required: Sequence[str], optional: Sequence[str]
) -> dict[str, str]:
    parser = argparse.ArgumentParser(prog="glue-job", add_help=False, allow_abbrev=False)
    for name in required:
        parser.add_argument(f"--{name}", required=True)
    for name in optional:
        parser.add_argument(f"--{name}")
    known, _ = parser.parse_known_args(list(argv[1:]))
    return {name: value for name, value in vars(known).items() if value is not None}
