"""The Glue batch job of ndjson-batching."""
