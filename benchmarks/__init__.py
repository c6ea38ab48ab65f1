"""``make bench``: FileProcessorV2 against the fastest engines on this machine."""
