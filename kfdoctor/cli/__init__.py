"""The command line (typer)."""
