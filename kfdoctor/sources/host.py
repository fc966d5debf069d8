"""Sysctls of the host kfdoctor runs on, read from /proc/sys under a configurable root."""
from __future__ import annotations

from pathlib import Path

from .tape import Tape

INOTIFY_KEYS = ("fs.inotify.max_user_instances", "fs.inotify.max_user_watches")


def read_sysctls(tape: Tape, root: str, keys: tuple[str, ...] = INOTIFY_KEYS) -> dict[str, int | None]:
    """Each key's integer value, or None where the file is absent or unreadable."""
    def fetch() -> dict[str, int | None]:
        values = {}
        for key in keys:
            path = Path(root) / "proc" / "sys" / key.replace(".", "/")
            try:
                values[key] = int(path.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                values[key] = None
        return values
    return tape.read("host", "sysctl", {"root": str(root), "keys": list(keys)}, fetch)
