"""The run's results in the JSON schema ``kfdoctor/results/v1`` (design.md section 5)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .model import Status
from .registry import Registry
from .runner import CheckRun

SCHEMA = "kfdoctor/results/v1"
STATUS_ORDER = ("fail", "error", "warn", "skip", "pass")


class ResultsError(ValueError):
    """A file that is not kfdoctor results."""


@dataclass
class RunResult:
    phase: str
    started_at: str
    duration_s: float
    source: dict
    results: list[dict]
    kfdoctor_version: str = ""
    extra: dict = field(default_factory=dict)   # e.g. "fix" for a fix run

    @property
    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for row in self.results:
            counts[row["status"]] += 1
        return counts

    def counted(self) -> list[dict]:
        """Rows that count for --fail-on: everything not suppressed."""
        return [r for r in self.results if not r.get("suppressed")]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "kfdoctor_version": self.kfdoctor_version, "phase": self.phase,
                "started_at": self.started_at, "duration_s": self.duration_s, "source": self.source,
                "summary": self.summary, "results": self.results, **self.extra}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: Any) -> "RunResult":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ResultsError(f"not a kfdoctor results file (expected schema {SCHEMA!r})")
        try:
            known = {"schema", "kfdoctor_version", "phase", "started_at", "duration_s", "source",
                     "summary", "results"}
            return cls(data["phase"], data["started_at"], data["duration_s"], data["source"],
                       list(data["results"]), data.get("kfdoctor_version", ""),
                       {k: v for k, v in data.items() if k not in known})
        except (KeyError, TypeError) as missing:
            raise ResultsError(f"results file lacks field {missing}") from None


def result_rows(runs: list[CheckRun], registry: Registry) -> list[dict]:
    """One row per finding, as the schema lays it out."""
    rows = []
    for run in runs:
        spec = run.spec
        for finding in run.findings:
            rows.append({
                "check": spec.id, "title": spec.title, "area": spec.area,
                "severity": spec.severity.value, "status": finding.status.value,
                "resource": finding.resource.to_dict(), "message": finding.message,
                "evidence": finding.evidence, "cause": finding.cause,
                "fixable": spec.id in registry.remediations and finding.status in (Status.FAIL, Status.WARN),
                "suppressed": finding.suppressed, "duration_s": finding.duration_s,
            })
    return rows


def worst_first(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (STATUS_ORDER.index(r["status"]), r["area"], r["check"]))
