"""ProcessLegislators: the AWS Glue join-and-relationalize example as a platform application.

``infrastructure.py`` holds its CDK construct, ``job/`` the Glue job's code, ``samples/`` a
small data set of the same shape.
"""
