"""Fix runs: plans, preview, backup journal, apply, verify, undo."""
