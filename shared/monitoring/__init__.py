"""The platform's monitoring of every stage: the run monitor Lambda, the alarms, the alerts
topic and the dashboard, derived from the registered applications' definitions."""
