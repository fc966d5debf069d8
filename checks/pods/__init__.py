"""pods checks."""
