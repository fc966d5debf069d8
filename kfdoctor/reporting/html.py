"""A one-file HTML report rendered with Jinja from kfdoctor.reports (autoescape on).

The page is self-contained: its CSS and JS (reports/report.css, report.js) are inlined at render time, it loads
nothing from the network (a Content-Security-Policy forbids it, and allows only the inlined
script and style by their hashes), and the findings travel as JSON in a
``<script type="application/json">`` with ``<``, ``>``, ``&`` and ``'`` escaped; the script
builds the rows with ``textContent`` only, so hostile names are shown as text.
"""
from __future__ import annotations

import base64
import hashlib
from importlib.resources import files

from ..engine.registry import Registry
from ..engine.results import STATUS_ORDER, RunResult, worst_first
from .common import PROBLEMS, check_docs, counts_by_area, finding_key, resource_label, target_of

DATA_FIELDS = ("check", "area", "severity", "status", "resource", "message", "evidence", "cause",
               "fixable", "suppressed")


def environment():
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("kfdoctor.reports", ""), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["resource_label"] = resource_label
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "default": str,
                                         "separators": (",", ":")}
    return env


def _static(name: str) -> str:
    text = (files("kfdoctor.reports") / name).read_text(encoding="utf-8")
    if "</" in text:  # would end the inline <script>/<style> element early
        raise ValueError(f"reports/{name} must not contain '</'")
    return text


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _row(row: dict) -> dict:
    return {k: row.get(k) for k in DATA_FIELDS}


def fix_view(extra: dict) -> dict | None:
    """The fix run's plans and journal (RunResult.extra["fix"]), tolerant of its exact shape."""
    fix = (extra or {}).get("fix")
    if not fix:
        return None
    if isinstance(fix, dict):
        plans = fix.get("plans") or fix.get("items") or fix.get("results") or []
        journal = fix.get("journal") or extra.get("journal")
    else:
        plans, journal = fix, extra.get("journal")
    view = []
    for plan in plans if isinstance(plans, list) else []:
        if not isinstance(plan, dict):
            continue
        resource = plan.get("resource")
        if isinstance(resource, dict):
            resource = resource_label({"resource": resource})
        view.append({"check": plan.get("check", ""), "resource": resource or "",
                     "summary": plan.get("summary") or plan.get("plan_summary") or plan.get("plan")
                     or "", "outcome": str(plan.get("outcome") or ""),
                     "reason": plan.get("reason") or "", "risk": plan.get("risk") or ""})
    return {"plans": view, "journal": journal or ""}


def _page(rows: list[dict], data_rows: list[dict], docs: dict, meta: dict, mode: str, **extra) -> str:
    css, js = _static("report.css"), _static("report.js")
    csp = (f"default-src 'none'; script-src {_csp_hash(js)}; style-src {_csp_hash(css)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    areas = sorted({r["area"] for r in rows})
    severities = [s for s in ("critical", "high", "medium", "low", "info")
                  if any(r["severity"] == s for r in rows)]
    data = {"mode": mode, "rows": data_rows, "docs": docs}
    return environment().get_template("report.html.j2").render(
        meta=meta, mode=mode, css=css, js=js, csp=csp, data=data, docs=docs, areas=areas,
        severities=severities, statuses=STATUS_ORDER, **extra)


def render_html(result: RunResult, registry: Registry | None = None) -> str:
    rows = worst_first(result.results)
    wanted = {r["check"] for r in rows} | {r["cause"] for r in rows if r.get("cause")}
    docs = check_docs(registry, wanted)
    meta = {"title": "kfdoctor report", "phase": result.phase, "target": target_of(result),
            "source": result.source or {}, "started_at": result.started_at,
            "duration_s": result.duration_s, "version": result.kfdoctor_version}
    counts = {s: 0 for s in STATUS_ORDER}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    suppressed = sum(1 for r in rows if r.get("suppressed"))
    return _page(rows, [_row(r) for r in rows], docs, meta, "run", counts=counts,
                 suppressed=suppressed, by_area=counts_by_area(rows), fix=fix_view(result.extra))


def diff_rows(before: RunResult, after: RunResult) -> list[dict]:
    """Problems (fail, error, warn) of two runs, keyed by check + resource: new, resolved, unchanged."""
    old = {finding_key(r): r for r in before.results}
    new = {finding_key(r): r for r in after.results}
    rows = []
    for key, row in new.items():
        prior = old.get(key)
        was = prior is not None and prior["status"] in PROBLEMS
        if row["status"] in PROBLEMS:
            rows.append({**row, "change": "unchanged" if was else "new",
                         "before_status": prior["status"] if prior else None})
        elif was:
            rows.append({**row, "change": "resolved", "before_status": prior["status"]})
    for key, prior in old.items():
        if key not in new and prior["status"] in PROBLEMS:
            rows.append({**prior, "change": "resolved", "before_status": prior["status"],
                         "status": "pass", "message": "no longer reported: " + prior["message"]})
    order = ("new", "unchanged", "resolved")
    return sorted(rows, key=lambda r: (order.index(r["change"]), STATUS_ORDER.index(r["status"]),
                                       r["area"], r["check"]))


def render_diff_html(before: RunResult, after: RunResult, registry: Registry | None = None,
                     names: tuple[str, str] = ("before", "after")) -> str:
    rows = diff_rows(before, after)
    wanted = {r["check"] for r in rows} | {r["cause"] for r in rows if r.get("cause")}
    docs = check_docs(registry, wanted)
    meta = {"title": "kfdoctor comparison", "phase": after.phase, "target": target_of(after),
            "source": after.source or {}, "started_at": after.started_at,
            "duration_s": after.duration_s, "version": after.kfdoctor_version,
            "before": {"name": names[0], "started_at": before.started_at, "target": target_of(before)},
            "after": {"name": names[1], "started_at": after.started_at, "target": target_of(after)}}
    changes = {c: sum(1 for r in rows if r["change"] == c) for c in ("new", "unchanged", "resolved")}
    data_rows = [{**_row(r), "change": r["change"], "before_status": r["before_status"]} for r in rows]
    return _page(rows, data_rows, docs, meta, "diff", changes=changes,
                 by_area=counts_by_area(rows))
