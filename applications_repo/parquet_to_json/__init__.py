"""parquet-to-json (spec 000): Parquet uploads to JSON Lines, with a DynamoDB metadata table."""
