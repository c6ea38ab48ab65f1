"""The infrastructure app: what every stage account needs and rarely changes (buckets, IAM roles,
the Glue catalog database and the Glue security configuration)."""
