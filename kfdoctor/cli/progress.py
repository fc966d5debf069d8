"""Progress of a run on stderr (rich): the sources being read, then checks done out of total.

Shown only when stdout and stderr are terminals and the output is the table; never when the
output is piped or machine-readable (``-o json``), so nothing can break a parsed stream.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Callable, TextIO


def wanted(output: str, stdout: TextIO | None = None, stderr: TextIO | None = None) -> bool:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    return output == "table" and _tty(stdout) and _tty(stderr)


def _tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class RunProgress:
    """A context manager; ``watch(tape)`` reports reads, ``on_progress`` reports checks."""

    def __init__(self, enabled: bool, console: Any = None):
        self.enabled = enabled
        self._console = console
        self._progress = None
        self._reads = self._checks = None
        self._count = 0
        self._lock = threading.Lock()
        self._tapes: list[Any] = []

    @classmethod
    def for_output(cls, output: str) -> "RunProgress":
        return cls(wanted(output))

    def __enter__(self) -> "RunProgress":
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, \
            TextColumn, TimeElapsedColumn

        console = self._console or Console(file=sys.stderr)
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                                  transient=True)
        self._progress.start()
        self._reads = self._progress.add_task("reading sources", total=None)
        return self

    def watch(self, tape: Any) -> None:
        """Report each read the run makes through ``tape`` (the sources being read)."""
        if not self.enabled:
            return
        original: Callable = tape.read

        def read(source: str, op: str, params: dict, fetch: Callable[[], Any]) -> Any:
            what = params.get("kind") or params.get("path") or op
            self._update_reads(f"reading {source}: {op} {what}")
            try:
                return original(source, op, params, fetch)
            finally:
                self._update_reads(None)

        tape.read = read
        self._tapes.append(tape)

    def _update_reads(self, description: str | None) -> None:
        if self._progress is None:
            return
        with self._lock:
            if description is None:
                self._count += 1
                self._progress.update(self._reads, completed=self._count,
                                      description=f"sources read: {self._count}")
            else:
                self._progress.update(self._reads, description=description)

    def on_progress(self, done: int, total: int, check_id: str) -> None:
        if self._progress is None:
            return
        with self._lock:
            if self._checks is None:
                self._checks = self._progress.add_task("checks", total=total)
            self._progress.update(self._checks, completed=done, total=total,
                                  description=f"checks: {check_id}")

    def __exit__(self, *exc) -> None:
        for tape in self._tapes:
            try:
                del tape.read          # back to the class's method
            except AttributeError:
                pass
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
