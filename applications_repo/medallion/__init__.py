"""medallion (spec 004): a daily bronze/silver/gold pipeline of an HTTP API's records, run by
a Step Functions state machine: ingestion Lambda, Glue job, crawler, notifications."""
