"""The platform's exceptions: one base class, narrow subclasses, one readable line per problem."""

from __future__ import annotations

from collections.abc import Sequence


class PlatformError(Exception):
    """Base of every error the platform raises on purpose; its text is meant for a human."""


class ConfigError(PlatformError):
    """The configuration file cannot be used; ``problems`` lists every reason, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))
