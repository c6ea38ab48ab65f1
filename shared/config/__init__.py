"""The platform's one configuration file, loaded into typed, immutable settings.

``load_config()`` reads ``platform.yaml`` at the repository root, or the file named by the CDK
context value ``config`` (``-c config=PATH``) or by ``$GDP_CONFIG``.
"""

from shared.config.loader import (
    CONFIG_CONTEXT_KEY,
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG_FILE,
    LOCAL_RUN_ROOT,
    REPOSITORY_ROOT,
    load_config,
    resolve_config_path,
)
from shared.config.models import (
    AccountSettings,
    GlueSettings,
    PlatformConfig,
    Settings,
    StageName,
    StageSettings,
)

__all__ = [
    "CONFIG_CONTEXT_KEY",
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILE",
    "LOCAL_RUN_ROOT",
    "REPOSITORY_ROOT",
    "AccountSettings",
    "GlueSettings",
    "PlatformConfig",
    "Settings",
    "StageName",
    "StageSettings",
    "load_config",
    "resolve_config_path",
]
