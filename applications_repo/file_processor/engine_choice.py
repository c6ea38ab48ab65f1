"""Which engine processes a file: Arrow on one machine up to a size, Spark beyond it.

Standard library only: the trigger Lambda ships this module to make the same choice.
"""

from __future__ import annotations

from enum import StrEnum


class EngineChoice(StrEnum):
    """What a run may ask for: one engine, or the choice by size."""

    AUTO = "auto"
    ARROW = "arrow"
    SPARK = "spark"


def choose(requested: str, size: int, single_node_max_bytes: int) -> EngineChoice:
    """The engine for a file of ``size`` bytes: ``auto`` takes Arrow up to the threshold."""
    choice = EngineChoice(requested)
    if choice is EngineChoice.AUTO:
        return EngineChoice.ARROW if size <= single_node_max_bytes else EngineChoice.SPARK
    return choice
