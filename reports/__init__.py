"""Jinja templates and static assets of the reports."""
