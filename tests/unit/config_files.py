"""Config files for tests: the shipped platform.yaml with changes applied."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from shared.config import DEFAULT_CONFIG_FILE

DELETE = object()


def shipped_document() -> dict[str, Any]:
    """The shipped platform.yaml as a mapping."""
    return yaml.safe_load(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))


def write_config(directory: Path, changes: dict[str, Any], *, name: str = "platform.yaml") -> Path:
    """Write the shipped config with ``changes`` applied; a dotted key sets a nested value and
    the value ``DELETE`` removes it."""
    document = copy.deepcopy(shipped_document())
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        node = document
        for key in parents:
            node = node.setdefault(key, {})
        if value is DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    path = directory / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
