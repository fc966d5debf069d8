"""Remediations of the access checks."""
