"""Remediations of the kserve checks."""
