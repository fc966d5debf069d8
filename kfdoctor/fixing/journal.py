"""The fix journal: every plan, each action's before-state and state, written durably.

The journal is rewritten (temporary file, fsync, rename) BEFORE each action is applied (state
``applying`` with its before-state) and again after (``applied`` / ``unchanged`` / ``failed`` /
``conflict``), so a run that dies half-way leaves a journal that ``kfdoctor fix --undo`` can use:
undo re-reads each object and restores it only where it still holds what the fix wrote.

Format (JSON)::

    {"kind": "kfdoctor-fix-journal", "version": 1, "created_at": "...", "updated_at": "...",
     "status": "running" | "done" | "undone" | "undo-incomplete",
     "settings": {public settings: kubeconfig, context, keycloak_url, realm, job, ...},
     "plans": [{"check", "resource", "risk", "summary", "manual", "outcome", "reason",
                "actions": [{"action": {"type": "KubePatch", ...fields...},
                             "state": "pending" | "applying" | "applied" | "unchanged" |
                                      "not-applied" | "failed" | "conflict" | "printed" |
                                      "undone" | "undo-failed",
                             "before": {...}, "result": {...}, "error": "...",
                             "undo": "what undo did or why it could not"}]}]}
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..sources.errors import ConfigError
from .plan import Action, atomic_write

KIND = "kfdoctor-fix-journal"
VERSION = 1


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_journal_path() -> Path:
    """~/.local/state/kfdoctor/journals/fix-<UTC time, µs>-<pid>.json ($XDG_STATE_HOME honoured)."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    return state / "kfdoctor" / "journals" / f"fix-{stamp}-{os.getpid()}.json"


class Journal:
    """The journal of one fix run (or one undo of it), saved on every change."""

    def __init__(self, path: Path, data: dict):
        self.path = Path(path)
        self.data = data

    @classmethod
    def create(cls, path: Path | None, settings: dict) -> "Journal":
        path = Path(path) if path else default_journal_path()
        if path.exists():
            raise ConfigError(f"--journal {path} exists already; give a new file (a journal is "
                              "never overwritten)")
        journal = cls(path, {"kind": KIND, "version": VERSION, "created_at": now(),
                             "updated_at": now(), "status": "running", "settings": settings,
                             "plans": []})
        journal.save()
        return journal

    @classmethod
    def load(cls, path: Path) -> "Journal":
        try:
            data = json.loads(Path(path).read_text())
        except OSError as error:
            raise ConfigError(f"--undo {path}: {error.strerror or error}") from None
        except ValueError as error:
            raise ConfigError(f"--undo {path}: not JSON ({error})") from None
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise ConfigError(f"--undo {path}: not a kfdoctor fix journal")
        return cls(Path(path), data)

    def save(self) -> None:
        self.data["updated_at"] = now()
        atomic_write(self.path, json.dumps(self.data, indent=2, default=str))

    # -- recording a run ----------------------------------------------------------------------
    def add_plan(self, plan) -> dict:
        entry = {"check": plan.check, "resource": plan.resource.to_dict() if plan.resource else None,
                 "risk": plan.risk, "summary": plan.summary, "manual": plan.manual,
                 "outcome": "PENDING", "reason": "",
                 "actions": [{"action": a.to_dict(), "state": "pending"} for a in plan.actions]}
        self.data["plans"].append(entry)
        self.save()
        return entry

    def update(self, record: dict, **values: Any) -> None:
        record.update(values)
        self.save()

    def finish(self, status: str = "done") -> None:
        self.data["status"] = status
        self.save()

    # -- reading it back --------------------------------------------------------------------------
    @property
    def settings(self) -> dict:
        return self.data.get("settings") or {}

    def records(self):
        """(plan entry, action record, Action) for every action, in the order applied."""
        for plan in self.data.get("plans", []):
            for record in plan.get("actions", []):
                yield plan, record, Action.from_dict(record["action"])
