"""The trigger's own CloudWatch metrics (in the platform's namespace, dimension ``service``;
the by-reason count also by ``Reason``). Standard library only: the trigger ships this module."""

from __future__ import annotations

FILES_RECEIVED = "FilesReceived"
FILES_ACCEPTED = "FilesAccepted"
FILES_REJECTED = "FilesRejected"
FILES_REJECTED_BY_REASON = "FilesRejectedByReason"
RUNS_STARTED = "RunsStarted"
RUNS_REFUSED = "RunsRefused"
DUPLICATE_EVENTS = "DuplicateEvents"
TRIGGER_SERVICE = "glue-trigger"
REASON_DIMENSION = "Reason"
