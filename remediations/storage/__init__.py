"""Remediations of the storage checks."""
