"""Suppressions: known findings muted with a reason (and maybe an expiry), still visible everywhere.

A ``[[suppress]]`` entry of kfdoctor.toml names a check id, an optional resource glob matched
(fnmatch) against ``namespace/name`` (``name`` for cluster-scoped resources) or ``Kind
namespace/name``, a mandatory reason and an optional expiry date. A matching warn/fail/error
finding keeps its status and gets ``suppressed = {"reason", "expires"}``; it no longer counts
for ``--fail-on``. An expired entry stops applying and becomes a warn finding of the pseudo-check
``kfdoctor_suppression``; so does an entry whose check ran without matching anything (stale).
"""
from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .sources.errors import ConfigError

CHECK_ID = "kfdoctor_suppression"
TITLE = "Suppressions in the configuration are current"
ENTRY_KEYS = ("check", "resource", "reason", "expires")
MATCHED_STATUSES = ("warn", "fail", "error")


@dataclass(frozen=True)
class Suppression:
    check: str
    reason: str
    resource: str = "*"
    expires: dt.date | None = None
    index: int = 0                 # position among the [[suppress]] entries, from 1
    origin: str = "kfdoctor.toml"  # the file it comes from

    @property
    def label(self) -> str:
        return f"{self.check} {self.resource} ({self.origin} [[suppress]] #{self.index})"

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def matches(self, row: Mapping[str, Any]) -> bool:
        if row.get("check") != self.check or row.get("status") not in MATCHED_STATUSES:
            return False
        return any(fnmatch.fnmatchcase(name, self.resource) for name in resource_names(row))

    def marker(self) -> dict:
        return {"reason": self.reason,
                "expires": self.expires.isoformat() if self.expires else None}

    def to_dict(self) -> dict:
        return {"check": self.check, "resource": self.resource, "reason": self.reason,
                "expires": self.expires.isoformat() if self.expires else None}


def resource_names(row: Mapping[str, Any]) -> list[str]:
    """The names a resource glob is matched against: ns/name (or name), and Kind ns/name."""
    res = row.get("resource") or {}
    scoped = f"{res['namespace']}/{res.get('name', '')}" if res.get("namespace") \
        else str(res.get("name", ""))
    return [scoped, f"{res.get('kind', '')} {scoped}"]


class Suppressions:
    """The suppressions of one configuration (a plain class: Settings copies it as is)."""

    def __init__(self, entries: Iterable[Suppression] = (), origin: str = "kfdoctor.toml"):
        self.entries = list(entries)
        self.origin = origin

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __repr__(self) -> str:
        return f"Suppressions({len(self.entries)} from {self.origin})"

    def validate(self, check_ids: Iterable[str]) -> None:
        """ConfigError (exit 2) for an entry naming a check that does not exist."""
        from .engine.registry import suggest

        known = set(check_ids)
        for entry in self.entries:
            if entry.check not in known:
                raise ConfigError(f"{entry.origin}: [[suppress]] #{entry.index}: unknown check id "
                                  f"{entry.check!r}{suggest(entry.check, known)}")

    def apply(self, rows: list[dict], ran: Iterable[str], today: dt.date | None = None) -> list[dict]:
        """Mark matching rows suppressed; returns the rows about expired and stale entries."""
        today = today or dt.date.today()
        ran = set(ran)
        extra = []
        for entry in self.entries:
            if entry.check not in ran:
                continue                      # not judged in this run: neither used nor stale
            if entry.expired(today):
                extra.append(_row(entry, f"the suppression of {entry.check} for {entry.resource} "
                                         f"expired on {entry.expires.isoformat()} (reason: "
                                         f"{entry.reason}); it no longer applies: renew or "
                                         "remove it", "expired"))
                continue
            matched = 0
            for row in rows:
                if not row.get("suppressed") and entry.matches(row):
                    row["suppressed"] = entry.marker()
                    matched += 1
            if not matched:
                extra.append(_row(entry, f"the suppression of {entry.check} for {entry.resource} "
                                         "matches no warn, fail or error finding; expected at "
                                         "least one: remove it if the problem is gone", "stale"))
        return extra


def _row(entry: Suppression, message: str, state: str) -> dict:
    return {"check": CHECK_ID, "title": TITLE, "area": "kfdoctor", "severity": "low",
            "status": "warn",
            "resource": {"kind": "Suppression", "namespace": None,
                         "name": f"{entry.origin}#{entry.index}"},
            "message": message, "evidence": {"suppression": entry.to_dict(), "state": state},
            "cause": None, "fixable": False, "suppressed": None, "duration_s": 0.0}


def parse(entries: Any, origin: str) -> Suppressions:
    """The ``[[suppress]]`` array of a config file; ConfigError on anything malformed."""
    from .engine.registry import suggest

    if entries is None:
        return Suppressions((), origin)
    if not isinstance(entries, list):
        raise ConfigError(f"{origin}: suppress must be an array of tables ([[suppress]] entries)")
    out = []
    for index, raw in enumerate(entries, 1):
        where = f"{origin}: [[suppress]] #{index}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a table with check and reason")
        for key in raw:
            if key not in ENTRY_KEYS:
                raise ConfigError(f"{where}: unknown key {key!r}{suggest(key, ENTRY_KEYS)} "
                                  f"(known: {', '.join(ENTRY_KEYS)})")
        check = raw.get("check")
        if not isinstance(check, str) or not check.strip():
            raise ConfigError(f"{where}: check (a check id) is required")
        reason = raw.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}: reason is required (say why {check} is suppressed)")
        resource = raw.get("resource", "*")
        if not isinstance(resource, str) or not resource:
            raise ConfigError(f"{where}: resource must be a glob such as 'namespace/name'")
        out.append(Suppression(check.strip(), reason.strip(), resource,
                               _date(raw.get("expires"), where), index, origin))
    return Suppressions(out, origin)


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where}: expires must be a date (YYYY-MM-DD), not {value!r}")
