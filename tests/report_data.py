"""Synthetic runs for the report and writer tests (hostile names included)."""
from __future__ import annotations

from kfdoctor.engine.results import RunResult

HOSTILE = ('<script>window.__pwned = 1</script>"\'&amp;<b>bold</b>'
           '<img src=x onerror="window.__pwned = 2"></textarea></script><!--')
AREAS = ("storage", "keycloak", "pods", "kserve")
STATUSES = ("fail", "warn", "pass", "error", "skip")
SEVERITIES = ("critical", "high", "medium", "low")


def make_rows(n: int, hostile: bool = True) -> list[dict]:
    rows = []
    for i in range(n):
        area = AREAS[i % len(AREAS)]
        check = "storage_default_class_unique" if area == "storage" else f"{area}_check_{i % 5}"
        evil = hostile and i == 5
        rows.append({
            "check": check + (HOSTILE if evil else ""), "title": f"title of {check}", "area": area,
            "severity": SEVERITIES[i % len(SEVERITIES)], "status": STATUSES[i % len(STATUSES)],
            "resource": {"kind": "Pod", "namespace": f"ns-{i % 7}" + (HOSTILE if evil else ""),
                         "name": f"pod-{i}" + (HOSTILE if evil else "")},
            "message": f"finding number {i}: actual {i % 3}, expected 0" + (HOSTILE if evil else ""),
            "evidence": {"index": i, "labels": {"app": "x" if not evil else HOSTILE}},
            "cause": "storage_default_class_unique" if i % 10 == 1 else None,
            "fixable": area == "storage" and STATUSES[i % 5] in ("fail", "warn"),
            "suppressed": {"reason": "known issue " + (HOSTILE if evil else "")} if i % 17 == 0 else None,
            "duration_s": 0.01})
    return rows


def make_run(n: int = 40, hostile: bool = True, **extra) -> RunResult:
    return RunResult("post-launch", "2024-05-01T10:00:00+00:00", 3.25,
                     {"mode": "live", "context": "kind-test", "job": 5, "realm": "jdoe"},
                     make_rows(n, hostile), "0.1.0", extra)
