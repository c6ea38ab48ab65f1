"""ndjson-batching (spec 003): many small NDJSON files become few large Parquet files."""
