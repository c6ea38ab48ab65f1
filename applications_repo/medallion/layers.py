"""Where each layer keeps a run date's data: one source of truth for the ingestion, the job,
the crawler's target and the docs. Standard library only."""

from __future__ import annotations

from datetime import date

RAW_PREFIX = "raw/"
PROCESSED_PREFIX = "processed/"
REJECTED_PREFIX = "rejected/"
CURATED_PREFIX = "curated/"
STAGING_PREFIX = "curated/_staging/"
MANIFEST_NAME = "_manifest.json"
CLEAN_NAME = "data_clean.json"
REJECTED_NAME = "rejected.json"
PAGE_NAME = "page-{:05d}.json"


def day_folder(run_date: str) -> str:
    """``2025-11-03`` -> ``2025/11/03/`` (bronze and silver)."""
    day = date.fromisoformat(run_date)
    return f"{day:%Y/%m/%d}/"


def partition_folder(run_date: str) -> str:
    """``2025-11-03`` -> ``year=2025/month=11/day=03/`` (gold)."""
    day = date.fromisoformat(run_date)
    return f"year={day:%Y}/month={day:%m}/day={day:%d}/"


def page_key(run_date: str, page: int) -> str:
    return f"{RAW_PREFIX}{day_folder(run_date)}{PAGE_NAME.format(page)}"


def manifest_key(run_date: str) -> str:
    return f"{RAW_PREFIX}{day_folder(run_date)}{MANIFEST_NAME}"
