"""The parquet-to-json job: one Parquet file to JSON Lines, on Spark or on Arrow."""
