"""The medallion functions: the ingestion of the API, and the run recorder."""
