"""Remediations of the keycloak checks."""
