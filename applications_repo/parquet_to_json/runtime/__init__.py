"""The Lambda functions of parquet-to-json: the orchestrator and the sweeper."""
