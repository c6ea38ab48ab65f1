"""ndjson-batching's own CloudWatch metrics (the platform's namespace, dimension ``service``).
Standard library only: its functions ship this module."""

from __future__ import annotations

BUILDER_SERVICE = "glue-ndjson-builder"
STATE_SERVICE = "glue-ndjson-state"

FILES_RECEIVED = "NdjsonFilesReceived"
FILES_TRACKED = "NdjsonFilesTracked"
FILES_QUARANTINED = "NdjsonFilesQuarantined"
DUPLICATE_EVENTS = "NdjsonDuplicateEvents"
MANIFESTS_WRITTEN = "NdjsonManifestsWritten"
FILES_MANIFESTED = "NdjsonFilesManifested"
OLDEST_PENDING_SECONDS = "NdjsonOldestPendingSeconds"
STUCK_FILES = "NdjsonStuckFiles"
LEASES_RELEASED = "NdjsonLeasesReleased"
ACTIONS = "NdjsonStateActions"
"""Actions the state manager ran (sweeps, health checks, operators' commands)."""
