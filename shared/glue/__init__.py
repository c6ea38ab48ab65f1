"""What every Glue job entry point needs, identical under AWS Glue, local Spark and the tests:
its arguments, its SparkSession and its storage.

Nothing here imports ``aws_cdk``: this package is shipped to Glue with the job scripts.
"""
