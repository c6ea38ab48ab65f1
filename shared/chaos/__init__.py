"""The chaos run: many inputs over every application, faults injected at seeded points,
the platform's own recovery, then an audit that every input is accounted for."""

DEFAULT_INPUTS = 1000
DEFAULT_SEED = 1
