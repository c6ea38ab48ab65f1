"""The applications app: the Glue ETL applications and their delivery pipeline."""
