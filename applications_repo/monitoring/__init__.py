"""Monitoring of a stage's applications: the run monitor, the alarms, the alerts topic and
the dashboard, all derived from the applications' definitions."""
