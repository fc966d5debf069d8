"""access checks."""
