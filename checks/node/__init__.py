"""node checks."""
