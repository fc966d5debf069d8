"""Record and replay of source reads: the same reads, live or from a recording.

A recording is a folder with ``manifest.json`` and ``reads.json``; every read is keyed by
its source, operation and parameters, and stores either the value or the error it met.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from . import errors
from .errors import ConfigError, NotRecorded, SourceError

RECORDING_KIND = "kfdoctor-recording"
READS_FILE = "reads.json"
MANIFEST_FILE = "manifest.json"


def read_key(source: str, op: str, params: dict) -> str:
    return json.dumps([source, op, params], sort_keys=True, default=str)


def _error_entry(error: Exception) -> dict:
    entry = {"type": type(error).__name__, "message": str(error)}
    for attr in ("permission", "grant"):
        if getattr(error, attr, ""):
            entry[attr] = getattr(error, attr)
    return entry


def _error_from(entry: dict) -> SourceError:
    cls = getattr(errors, entry.get("type", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, SourceError)):
        cls = SourceError
    if cls is errors.Forbidden:
        return cls(entry["message"], entry.get("permission", ""), entry.get("grant", ""))
    return cls(entry["message"])


class Tape:
    """Passes reads through (live), records them, or serves them from a recording."""

    def __init__(self, mode: str = "live", entries: dict[str, dict] | None = None,
                 redact: Callable[[str, str, Any], Any] | None = None, manifest: dict | None = None):
        if mode not in ("live", "record", "replay"):
            raise ValueError(f"unknown tape mode {mode!r}")
        self.mode = mode
        self.entries: dict[str, dict] = dict(entries or {})
        self.redact = redact or (lambda source, op, value: value)
        self.manifest = manifest or {}
        self._lock = threading.Lock()

    @property
    def replaying(self) -> bool:
        return self.mode == "replay"

    def read(self, source: str, op: str, params: dict, fetch: Callable[[], Any]) -> Any:
        """The value of one read: fetched (and maybe recorded) or replayed."""
        key = read_key(source, op, params)
        if self.replaying:
            entry = self.entries.get(key)
            if entry is None:
                raise NotRecorded(f"the recording holds no {source} read {op} {params}")
            if "error" in entry:
                raise _error_from(entry["error"])
            return entry["value"]
        try:
            value = fetch()
        except Exception as error:  # noqa: BLE001 - whatever failed live fails the same on replay
            self._store(key, source, op, params, {"error": _error_entry(error)})
            raise
        self._store(key, source, op, params, {"value": self.redact(source, op, value)})
        return value

    def _store(self, key: str, source: str, op: str, params: dict, outcome: dict) -> None:
        if self.mode == "record":
            with self._lock:
                self.entries[key] = {"source": source, "op": op, "params": params, **outcome}

    def save(self, folder: Path, manifest: dict) -> None:
        """Write the recording into ``folder`` (created if needed)."""
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            reads = sorted(self.entries.values(), key=lambda e: read_key(e["source"], e["op"],
                                                                         e["params"]))
        (folder / READS_FILE).write_text(json.dumps(reads, indent=1, default=str))
        full = {"kind": RECORDING_KIND, "version": 1,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "reads": len(reads), **manifest}
        (folder / MANIFEST_FILE).write_text(json.dumps(full, indent=2, default=str))

    @classmethod
    def load(cls, folder: Path) -> "Tape":
        """A replaying tape from a recording folder or a bundle (folder or .tar.gz)."""
        folder = Path(folder)
        if not folder.exists():
            raise ConfigError(f"--from {folder}: no such file or folder")
        from ..bundle.archive import open_bundle, recording_folder
        if folder.is_file():
            return open_bundle(folder)
        folder = recording_folder(folder)
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text())
            reads = json.loads((folder / READS_FILE).read_text())
        except (OSError, ValueError) as error:
            raise ConfigError(f"--from {folder}: not a kfdoctor recording ({error})") from None
        if not isinstance(manifest, dict) or manifest.get("kind") != RECORDING_KIND \
                or not isinstance(reads, list):
            raise ConfigError(f"--from {folder}: not a kfdoctor recording (no {RECORDING_KIND} "
                              "manifest)")
        entries = {}
        for entry in reads:
            if not isinstance(entry, dict) or not {"source", "op", "params"} <= set(entry):
                raise ConfigError(f"--from {folder}: malformed read in {READS_FILE}")
            entries[read_key(entry["source"], entry["op"], entry["params"])] = entry
        return cls("replay", entries, manifest=manifest)
