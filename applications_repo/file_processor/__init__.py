"""FileProcessorV2: CSV files uploaded to the input bucket become Parquet tables.

``infrastructure.py`` holds its CDK constructs, ``runtime/`` the trigger Lambda's code and
``job/`` the Glue job's; the last two import nothing from the CDK.
"""
