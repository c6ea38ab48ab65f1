"""The time a function or a job reads: the wall clock in AWS. In the local stage it is the
local clock (``shared.local.clock``), which runs ``GDP_CLOCK_SPEED`` times faster from
``GDP_CLOCK_ORIGIN``, so that the ages and leases the code measures pass as the stage's own
waits do. Standard library only: functions and jobs ship this module."""

from __future__ import annotations

import os
import time

SPEED_VARIABLE = "GDP_CLOCK_SPEED"
ORIGIN_VARIABLE = "GDP_CLOCK_ORIGIN"


def now() -> float:
    """Seconds since the epoch, on the clock of the stage the code runs in."""
    speed = float(os.environ.get(SPEED_VARIABLE) or 1)
    wall = time.time()
    if speed == 1:
        return wall
    origin = float(os.environ.get(ORIGIN_VARIABLE) or wall)
    return origin + (wall - origin) * speed


def sleep(seconds: float) -> None:
    """Wait ``seconds`` on the clock of the stage the code runs in (a back-off's wait)."""
    speed = float(os.environ.get(SPEED_VARIABLE) or 1)
    time.sleep(seconds / speed)
