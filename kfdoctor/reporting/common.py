"""Helpers shared by the writers: resource labels, counts, the check docs of the registry."""
from __future__ import annotations

from ..engine.registry import Registry
from ..engine.results import STATUS_ORDER, RunResult

PROBLEMS = ("fail", "error", "warn")


def resource_label(row: dict) -> str:
    res = row.get("resource") or {}
    scope = f"{res['namespace']}/" if res.get("namespace") else ""
    return f"{res.get('kind', '?')} {scope}{res.get('name', '?')}"


def finding_key(row: dict) -> str:
    """What identifies a finding across runs: its check and its resource."""
    res = row.get("resource") or {}
    return "\x1f".join([row.get("check", ""), res.get("kind") or "", res.get("namespace") or "",
                        res.get("name") or ""])


def counts_by_area(rows: list[dict]) -> dict[str, dict[str, int]]:
    areas: dict[str, dict[str, int]] = {}
    for row in rows:
        per = areas.setdefault(row["area"], {s: 0 for s in STATUS_ORDER})
        per[row["status"]] = per.get(row["status"], 0) + 1
    return dict(sorted(areas.items()))


def check_docs(registry: Registry | None, check_ids=None) -> dict[str, dict]:
    """Title, severity, "Why it matters", "Manual fix" and fixability of each check (by id)."""
    if registry is None:
        return {}
    wanted = set(check_ids) if check_ids is not None else set(registry.checks)
    docs = {}
    for cid, spec in registry.checks.items():
        if cid in wanted:
            fix = registry.remediations.get(cid)
            docs[cid] = {"title": spec.title, "area": spec.area, "severity": spec.severity.value,
                         "why": spec.section("Why it matters"), "fix": spec.section("Manual fix"),
                         "auto_fix": getattr(fix, "doc", "") if fix else "",
                         "fix_risk": getattr(fix, "risk", "") if fix else ""}
    return docs


def target_of(result: RunResult) -> str:
    """A short description of what was diagnosed."""
    src = result.source or {}
    if src.get("mode") == "bundle":
        return f"bundle {src.get('path') or '?'}"
    parts = []
    if src.get("context"):
        parts.append(f"context {src['context']}")
    if src.get("job") is not None:
        parts.append(f"job {src['job']}")
    if src.get("realm"):
        parts.append(f"realm {src['realm']}")
    return ", ".join(parts) or "the current kubeconfig context"
