"""appdef checks."""
