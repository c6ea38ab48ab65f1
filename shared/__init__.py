"""The Glue data platform's shared package, imported by both CDK apps, the tests and ``gdp``.

Layers, imports pointing down only: ``config`` -> ``naming`` -> ``constructs`` -> ``stage`` ->
``pipeline`` -> ``cdk_app``; ``compliance`` (tags, cdk-nag) applies to all of them.
"""
