"""The check engine: registry, fixtures, selection and the runner."""
