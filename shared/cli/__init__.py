"""``gdp``: the one command-line entry point for local work on the platform."""
