"""The platform's own CloudWatch metrics: one namespace, every name written once.

The trigger Lambda, the Glue jobs and the run monitor publish them; the alarms and the
dashboard read them. Standard library only: the functions and jobs ship this module.
"""

from __future__ import annotations

NAMESPACE = "GlueDataPlatform"

# Published by the trigger (dimension service; the by-reason count also by Reason).
FILES_RECEIVED = "FilesReceived"
FILES_ACCEPTED = "FilesAccepted"
FILES_REJECTED = "FilesRejected"
FILES_REJECTED_BY_REASON = "FilesRejectedByReason"
RUNS_STARTED = "RunsStarted"
RUNS_REFUSED = "RunsRefused"
DUPLICATE_EVENTS = "DuplicateEvents"
TRIGGER_SERVICE = "glue-trigger"

# Published by the jobs (dimension JobName).
ROWS_READ = "RowsRead"
ROWS_WRITTEN = "RowsWritten"
ROWS_REJECTED = "RowsRejected"

# Published by the run monitor for every finished run (dimension JobName).
RUNS_SUCCEEDED = "JobRunsSucceeded"
RUNS_FAILED = "JobRunsFailed"
RUN_SECONDS = "JobRunDurationSeconds"
RUN_DURATION_RATIO = "JobRunDurationRatio"

JOB_DIMENSION = "JobName"
SERVICE_DIMENSION = "service"
REASON_DIMENSION = "Reason"
