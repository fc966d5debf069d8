"""keycloak checks."""
