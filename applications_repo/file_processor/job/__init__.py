"""The FileProcessorV2 Glue job: plain functions over PySpark, and a thin entry point."""
