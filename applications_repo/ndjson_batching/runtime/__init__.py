"""The Lambda handlers of ndjson-batching."""
