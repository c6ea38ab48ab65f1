"""Builds a delivery app: config -> pipeline stack(stage factory), with compliance applied."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App

from shared.compliance import enable_nag
from shared.config import CONFIG_CONTEXT_KEY, load_config
from shared.errors import ConfigError
from shared.naming import PipelineNaming
from shared.pipeline import Delivery, DeliveryPipelineStack

# The CDK CLI's recommended feature flags for new projects (aws-cdk 2.1148), applied the same
# way whether the app runs under the CLI or as `python app.py`.
FEATURE_FLAGS_FILE = Path(__file__).with_name("cdk_feature_flags.json")


def feature_flags() -> dict[str, Any]:
    """The CDK feature flags every app of the platform is built with."""
    return json.loads(FEATURE_FLAGS_FILE.read_text(encoding="utf-8"))


def build_delivery_app(
    delivery: Delivery, *, context: dict[str, Any] | None = None, outdir: str | None = None
) -> App:
    """An app holding ``delivery``'s pipeline stack with its stages, tagged and nag-checked.

    The config comes from the context value ``config`` (``-c config=PATH``), else
    ``$GDP_CONFIG``, else ``platform.yaml``.

    Raises:
        ConfigError: when the config file has problems.
    """
    app = App(context={**feature_flags(), **(context or {})}, outdir=outdir)
    config = load_config(app.node.try_get_context(CONFIG_CONTEXT_KEY))
    DeliveryPipelineStack(
        app, PipelineNaming(delivery.app).stack_id, config=config, delivery=delivery
    )
    enable_nag(app)
    return app


def synth_delivery_app(delivery: Delivery) -> None:
    """The body of an app's ``app.py``: build and synthesize, or print the config's problems."""
    try:
        app = build_delivery_app(delivery)
    except ConfigError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    app.synth()
