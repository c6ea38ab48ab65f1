"""The applications this repository ships: one line each (see docs/adding-an-application.md)."""

APPLICATIONS = (
    "applications_repo.file_processor.application:FILE_PROCESSOR",
    "applications_repo.legislators.application:LEGISLATORS",
    "applications_repo.ndjson_batching.application:NDJSON_BATCHING",
    "applications_repo.parquet_to_json.application:PARQUET_TO_JSON",
    "applications_repo.medallion.application:MEDALLION",
    "applications_repo.jobs_api.application:JOBS_API",
)
