"""Remediations of the node checks."""
