"""The ProcessLegislators Glue job: a pure transformation and a thin entry point."""
