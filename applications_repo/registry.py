"""The applications this repository ships: one line each (see docs/adding-an-application.md)."""

from applications_repo.file_processor.application import FILE_PROCESSOR
from applications_repo.legislators.application import LEGISLATORS

APPLICATIONS = (
    FILE_PROCESSOR,
    LEGISLATORS,
)
