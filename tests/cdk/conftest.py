"""The CDK tier's fixtures live in tests/synthesized.py (shared with the deployability tier)."""
