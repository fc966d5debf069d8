"""Remediations, one module per check id."""
