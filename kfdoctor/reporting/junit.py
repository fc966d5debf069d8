"""JUnit XML: one testcase per finding, one testsuite per area (the Jenkins/Ant junit format).

classname is ``<area>.<check>`` so CI servers (Jenkins, GitLab) group testcases by area, then
check; a fail is a <failure>, an error an <error>, a skip or a suppressed finding <skipped>.
"""
from __future__ import annotations

import json
import re
import socket
from xml.etree import ElementTree as ET

from ..engine.registry import Registry
from ..engine.results import RunResult, worst_first
from .common import counts_by_area, resource_label

# XML 1.0 forbids most control characters, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text) -> str:
    return _INVALID_XML.sub("\ufffd", str(text if text is not None else ""))


def _details(row: dict, docs: dict) -> str:
    lines = [f"{row['check']}: {row.get('title', '')}", f"resource: {resource_label(row)}",
             f"severity: {row['severity']}", f"message: {row['message']}"]
    if row.get("cause"):
        lines.append(f"cause: {row['cause']}")
    if row.get("evidence"):
        lines.append("evidence: " + json.dumps(row["evidence"], sort_keys=True, default=str))
    doc = docs.get(row["check"])
    if doc and doc.get("fix"):
        lines.append(f"manual fix: {doc['fix']}")
    if row.get("fixable"):
        lines.append(f"kfdoctor can fix this: kfdoctor fix {row['check']}")
    return "\n".join(lines)


def render_junit(result: RunResult, registry: Registry | None = None) -> str:
    from .common import check_docs

    docs = check_docs(registry, {r["check"] for r in result.results})
    rows = worst_first(result.results)
    root = ET.Element("testsuites", name="kfdoctor", tests=str(len(rows)),
                      time=f"{result.duration_s:.3f}")
    totals = {"failures": 0, "errors": 0, "skipped": 0}
    host = socket.gethostname()
    for area in counts_by_area(rows):
        area_rows = [r for r in rows if r["area"] == area]
        suite = ET.SubElement(root, "testsuite", name=f"kfdoctor.{area}", tests=str(len(area_rows)),
                              timestamp=_clean(result.started_at)[:19], hostname=_clean(host),
                              time=f"{sum(r.get('duration_s') or 0 for r in area_rows):.3f}")
        counts = {"failures": 0, "errors": 0, "skipped": 0}
        for row in area_rows:
            case = ET.SubElement(suite, "testcase", classname=_clean(f"{area}.{row['check']}"),
                                 name=_clean(f"{resource_label(row)}"),
                                 time=f"{row.get('duration_s') or 0:.3f}")
            status, suppressed = row["status"], row.get("suppressed")
            message = _clean(row["message"])
            if suppressed and status != "pass":
                reason = suppressed.get("reason", "") if isinstance(suppressed, dict) else ""
                ET.SubElement(case, "skipped", message=_clean(
                    f"suppressed {status}: {reason}".rstrip(": "))).text = _clean(_details(row, docs))
                counts["skipped"] += 1
            elif status == "fail":
                ET.SubElement(case, "failure", message=message,
                              type=_clean(row["severity"])).text = _clean(_details(row, docs))
                counts["failures"] += 1
            elif status == "error":
                ET.SubElement(case, "error", message=message,
                              type="error").text = _clean(_details(row, docs))
                counts["errors"] += 1
            elif status == "skip":
                ET.SubElement(case, "skipped", message=message)
                counts["skipped"] += 1
            elif status == "warn":
                ET.SubElement(case, "system-out").text = _clean("WARNING: " + _details(row, docs))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    root.set("failures", str(totals["failures"]))
    root.set("errors", str(totals["errors"]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
