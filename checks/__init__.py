"""kfdoctor's built-in checks, one module per check, grouped by area."""
