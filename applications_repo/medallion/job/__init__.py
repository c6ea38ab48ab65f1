"""The medallion Glue job: bronze pages to silver records to gold Parquet, and compaction."""
