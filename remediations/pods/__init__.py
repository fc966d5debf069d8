"""Remediations of the pods checks."""
