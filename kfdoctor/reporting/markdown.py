"""Markdown for a ticket: the summary and the failing findings (then the warnings)."""
from __future__ import annotations

import re

from ..engine.registry import Registry
from ..engine.results import STATUS_ORDER, RunResult, worst_first
from .common import counts_by_area, resource_label, target_of

MAX_ROWS = 100


def cell(text) -> str:
    """A table cell: one line, pipes, HTML and Markdown emphasis made inert."""
    text = " ".join(str(text if text is not None else "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\|`*_\[\]])", r"\\\1", text)


def _table(rows: list[dict]) -> list[str]:
    lines = ["| Status | Severity | Check | Resource | Message |", "|---|---|---|---|---|"]
    for row in rows[:MAX_ROWS]:
        extra = f" (cause: {row['cause']})" if row.get("cause") else ""
        extra += " — kfdoctor can fix it" if row.get("fixable") else ""
        lines.append(f"| {row['status'].upper()} | {cell(row['severity'])} | {cell(row['check'])} | "
                     f"{cell(resource_label(row))} | {cell(row['message'] + extra)} |")
    if len(rows) > MAX_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_ROWS} more (see the HTML report or the JSON).")
    return lines


def render_markdown(result: RunResult, registry: Registry | None = None) -> str:
    counted = result.counted()
    suppressed = len(result.results) - len(counted)
    counts = result.summary
    lines = ["## kfdoctor report", "",
             f"Phase **{cell(result.phase)}**, target {cell(target_of(result))}, source "
             f"{cell((result.source or {}).get('mode', '?'))}, started {cell(result.started_at)}, "
             f"{result.duration_s:.1f} s, kfdoctor {cell(result.kfdoctor_version)}.", "",
             "| " + " | ".join(s.upper() for s in STATUS_ORDER) + " | suppressed |",
             "|" + "---|" * (len(STATUS_ORDER) + 1),
             "| " + " | ".join(str(counts.get(s, 0)) for s in STATUS_ORDER) + f" | {suppressed} |",
             ""]
    areas = counts_by_area(result.results)
    if areas:
        lines += ["| Area | " + " | ".join(STATUS_ORDER) + " |", "|---|" + "---|" * len(STATUS_ORDER)]
        lines += [f"| {cell(area)} | " + " | ".join(str(c[s]) for s in STATUS_ORDER) + " |"
                  for area, c in areas.items()]
        lines.append("")
    failing = [r for r in worst_first(counted) if r["status"] in ("fail", "error")]
    warnings = [r for r in worst_first(counted) if r["status"] == "warn"]
    lines += ["### Failing findings", ""]
    lines += _table(failing) if failing else ["None."]
    if warnings:
        lines += ["", "### Warnings", ""] + _table(warnings)
    muted = [r for r in worst_first(result.results) if r.get("suppressed") and r["status"] != "pass"]
    if muted:
        lines += ["", "### Suppressed findings", "", "| Status | Check | Resource | Reason | Expires |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['status'].upper()} | {cell(r['check'])} | {cell(resource_label(r))} | "
                  f"{cell(str(r['suppressed'].get('reason', '')))} | "
                  f"{cell(str(r['suppressed'].get('expires') or '-'))} |" for r in muted
                  if isinstance(r["suppressed"], dict)]
    return "\n".join(lines) + "\n"
