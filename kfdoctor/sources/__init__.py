"""Sources: the only code that talks to the outside. Each can record what it read and replay it."""
