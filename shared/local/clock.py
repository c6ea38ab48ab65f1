"""The local stage's clock: AWS's waits (retry back-off, visibility timeouts, batching windows,
schedules) pass ``speed`` times faster, so a run that waits minutes in AWS takes seconds here.
A function's own timeout is not scaled: the code runs in real time."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SPEED = 60.0
"""One local second stands for one AWS minute."""


@dataclass(frozen=True)
class LocalClock:
    speed: float = DEFAULT_SPEED

    def seconds(self, aws_seconds: float) -> float:
        """How long ``aws_seconds`` of AWS waiting lasts locally."""
        return aws_seconds / self.speed
