"""storage checks."""
