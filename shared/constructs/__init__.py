"""Small building blocks with secure defaults."""
