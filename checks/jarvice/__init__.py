"""jarvice checks."""
