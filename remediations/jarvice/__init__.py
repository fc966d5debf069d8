"""Remediations of the jarvice checks."""
