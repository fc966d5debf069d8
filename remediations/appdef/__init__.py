"""Remediations of the appdef checks."""
