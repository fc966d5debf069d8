"""Prometheus text exposition (format 0.0.4) of a run, e.g. for the node-exporter textfile collector."""
from __future__ import annotations

from collections import Counter

from ..engine.registry import Registry
from ..engine.results import STATUS_ORDER, RunResult


def _label(value) -> str:
    return str(value if value is not None else "").replace("\\", "\\\\").replace("\n", "\\n") \
        .replace('"', '\\"')


def _labels(**labels) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _parse_time(text: str) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except (TypeError, ValueError):
        return None


def render_prometheus(result: RunResult, registry: Registry | None = None) -> str:
    findings: Counter = Counter()
    suppressed: Counter = Counter()
    checks: dict[str, dict] = {}
    for row in result.results:
        key = (row["check"], row["area"], row["severity"], row["status"])
        (suppressed if row.get("suppressed") else findings)[key] += 1
        info = checks.setdefault(row["check"], {"area": row["area"], "severity": row["severity"],
                                                "worst": "pass"})
        if not row.get("suppressed") and \
                STATUS_ORDER.index(row["status"]) < STATUS_ORDER.index(info["worst"]):
            info["worst"] = row["status"]
    out = ["# HELP kfdoctor_findings Findings (not suppressed) of each check, by status.",
           "# TYPE kfdoctor_findings gauge"]
    for (check, area, severity, status), count in sorted(findings.items()):
        out.append(f"kfdoctor_findings{_labels(check=check, area=area, severity=severity, status=status)} {count}")
    out += ["# HELP kfdoctor_suppressed_findings Findings suppressed by the configuration.",
            "# TYPE kfdoctor_suppressed_findings gauge"]
    for (check, area, severity, status), count in sorted(suppressed.items()):
        out.append(f"kfdoctor_suppressed_findings{_labels(check=check, area=area, severity=severity, status=status)} {count}")
    out += ["# HELP kfdoctor_check_status 1 for the worst status of each check's findings, else 0.",
            "# TYPE kfdoctor_check_status gauge"]
    for check, info in sorted(checks.items()):
        for status in STATUS_ORDER:
            out.append(f"kfdoctor_check_status{_labels(check=check, area=info['area'], severity=info['severity'], status=status)} "
                       f"{1 if status == info['worst'] else 0}")
    counts = Counter(r["status"] for r in result.counted())
    out += ["# HELP kfdoctor_summary Findings (not suppressed) of the run, by status.",
            "# TYPE kfdoctor_summary gauge"]
    out += [f"kfdoctor_summary{_labels(status=s)} {counts.get(s, 0)}" for s in STATUS_ORDER]
    out += ["# HELP kfdoctor_run_duration_seconds Wall time of the run.",
            "# TYPE kfdoctor_run_duration_seconds gauge",
            f"kfdoctor_run_duration_seconds {float(result.duration_s):.3f}"]
    started = _parse_time(result.started_at)
    if started is not None:
        out += ["# HELP kfdoctor_run_started_timestamp_seconds When the run started (Unix time).",
                "# TYPE kfdoctor_run_started_timestamp_seconds gauge",
                f"kfdoctor_run_started_timestamp_seconds {started:.0f}"]
    out += ["# HELP kfdoctor_info The run's kfdoctor version, phase and source.",
            "# TYPE kfdoctor_info gauge",
            f"kfdoctor_info{_labels(version=result.kfdoctor_version, phase=result.phase, source=(result.source or {}).get('mode', ''))} 1"]
    return "\n".join(out) + "\n"
