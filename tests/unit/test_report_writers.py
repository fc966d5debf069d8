"""The machine formats: JUnit validates, Prometheus parses, Markdown summarises; HTML is safe."""
from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import xmlschema
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from kfdoctor.cli.main import app
from kfdoctor.engine.results import RunResult
from kfdoctor.reporting.html import diff_rows, render_diff_html, render_html
from kfdoctor.reporting.junit import render_junit
from kfdoctor.reporting.markdown import render_markdown
from kfdoctor.reporting.prometheus import render_prometheus
from kfdoctor.reporting.writers import WRITERS, render
from tests.report_data import HOSTILE, make_run

XSD = Path(__file__).with_name("junit-jenkins.xsd")


def test_every_format_is_registered():
    assert {"json", "html", "table", "junit", "markdown", "prometheus"} <= set(WRITERS)


def test_junit_validates_against_the_jenkins_junit_schema(registry):
    run = make_run(60)
    xml = render_junit(run, registry)
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(xml)   # raises with the first violation
    doc = schema.to_dict(xml)
    cases = [c for suite in doc["testsuite"] for c in suite["testcase"]]
    assert len(cases) == len(run.results)
    counted = {s: sum(1 for r in run.results if r["status"] == s and not r["suppressed"])
               for s in ("fail", "error", "skip")}
    suppressed = sum(1 for r in run.results if r["suppressed"] and r["status"] != "pass")
    assert sum("failure" in c for c in cases) == counted["fail"]
    assert sum("error" in c for c in cases) == counted["error"]
    assert sum("skipped" in c for c in cases) == counted["skip"] + suppressed
    assert {c["@classname"] for c in cases} >= {"storage.storage_default_class_unique"}
    assert all(c["@classname"].split(".", 1)[0] in ("storage", "keycloak", "pods", "kserve")
               for c in cases)
    root = doc
    assert int(root["@failures"]) == counted["fail"] and int(root["@errors"]) == counted["error"]


def test_junit_survives_control_characters():
    run = make_run(5)
    run.results[0]["message"] = "bad \x00\x07 bytes \ud800"
    xmlschema.XMLSchema(str(XSD)).validate(render_junit(run))


def test_prometheus_output_parses_with_prometheus_client(registry):
    run = make_run(60)
    text = render_prometheus(run, registry)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {"kfdoctor_findings", "kfdoctor_check_status", "kfdoctor_run_duration_seconds",
            "kfdoctor_summary", "kfdoctor_info"} <= set(families)
    findings = families["kfdoctor_findings"]
    assert findings.type == "gauge"
    total = sum(s.value for s in findings.samples)
    assert total == len(run.counted())
    hostile = [s for s in findings.samples if HOSTILE in s.labels["check"]]
    assert hostile, "label values with quotes and backslashes survive the round trip"
    status = families["kfdoctor_check_status"].samples
    per_check = {}
    for sample in status:
        per_check.setdefault(sample.labels["check"], 0)
        per_check[sample.labels["check"]] += sample.value
    assert set(per_check.values()) == {1.0}   # exactly one status is 1 per check
    assert families["kfdoctor_run_duration_seconds"].samples[0].value == pytest.approx(3.25)


def test_markdown_renders_the_summary_and_the_failing_findings(registry):
    run = make_run(60)
    md = render_markdown(run, registry)
    assert md.startswith("## kfdoctor report")
    counts = run.summary
    assert f"| {counts['fail']} | {counts['error']} | {counts['warn']} |" in md
    failing = [r for r in run.counted() if r["status"] in ("fail", "error")]
    section = md.split("### Failing findings", 1)[1].split("### Warnings", 1)[0]
    table_rows = [line for line in section.splitlines() if line.startswith("| FAIL") or line.startswith("| ERROR")]
    assert len(table_rows) == len(failing)
    for line in table_rows:
        assert line.count(" | ") == 4, line      # hostile pipes are escaped: five cells
    assert "<script>" not in md and "&lt;script&gt;" in md
    passing = [r for r in run.results if r["status"] == "pass"]
    assert all(f"finding number {r['resource']['name'][4:]}:" not in section for r in passing)


def test_json_round_trips(registry):
    run = make_run(10, fix={"plans": [], "journal": "/tmp/j.json"})
    again = RunResult.from_dict(json.loads(render("json", run, registry)))
    assert again.results == run.results and again.extra == run.extra


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.handlers, self.current = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.current = dict(attrs)
            self.scripts.append(self.current)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def test_html_is_self_contained_and_escapes_hostile_strings(registry):
    html = render_html(make_run(40), registry)
    parser = _Scripts()
    parser.feed(html)
    assert len(parser.scripts) == 2, "only the data island and the inlined script"
    assert parser.scripts[0].get("type") == "application/json"
    assert not parser.handlers, "no inline event handler attribute anywhere"
    assert "<script>window.__pwned" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "nothing loaded from the network"
    assert "default-src 'none'" in unescape(html)
    data = html.split('id="kfdoctor-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data and "&" not in data.replace("\\u0026", "")
    parsed = json.loads(data)
    assert any(HOSTILE in r["message"] for r in parsed["rows"])


def test_html_shows_the_fix_run(registry):
    fix = {"plans": [{"check": "storage_default_class_unique",
                      "resource": {"kind": "StorageClass", "namespace": None, "name": "standard"},
                      "summary": "annotate standard as the default", "outcome": "FIXED", "reason": ""},
                     {"check": "storage_default_class_unique", "resource": "StorageClass nfs",
                      "summary": "remove the default annotation", "outcome": "NOT FIXED",
                      "reason": "the re-check still fails " + HOSTILE}],
           "journal": "/var/lib/kfdoctor/journal-1.json"}
    html = render_html(make_run(10, fix=fix), registry)
    assert 'id="fix"' in html and "FIXED" in html and "NOT FIXED" in html
    assert "/var/lib/kfdoctor/journal-1.json" in html and "StorageClass standard" in html
    assert "<script>window.__pwned" not in html


def test_diff_keys_findings_by_check_and_resource(registry):
    before, after = make_run(20, hostile=False), make_run(20, hostile=False)
    first = next(r for r in before.results if r["status"] == "fail")
    resolved_key = (first["check"], first["resource"]["name"])
    for row in after.results:
        if (row["check"], row["resource"]["name"]) == resolved_key:
            row["status"] = "pass"
    after.results.append({**first, "resource": {**first["resource"], "name": "brand-new"}})
    rows = diff_rows(before, after)
    changes = {(r["check"], r["resource"]["name"]): r["change"] for r in rows}
    assert changes[resolved_key] == "resolved"
    assert changes[(first["check"], "brand-new")] == "new"
    assert list(changes.values()).count("unchanged") == \
        sum(1 for r in before.results if r["status"] in ("fail", "error", "warn")) - 1
    html = render_diff_html(before, after, registry)
    assert "New problems" in open(Path(__file__).parents[2] / "reports/report.js").read()
    assert '"change":"resolved"' in html


def test_report_command_renders_formats_and_compares(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(make_run(30).to_json())
    runner = CliRunner()
    for name in ("r.html", "r.xml", "r.md", "r.prom", "r.json"):
        outcome = runner.invoke(app, ["report", str(results), "-o", str(tmp_path / name)])
        assert outcome.exit_code == 0, outcome.output
        assert (tmp_path / name).stat().st_size > 100
    assert (tmp_path / "r.xml").read_text().startswith("<?xml")
    outcome = runner.invoke(app, ["report", str(results), str(results), "-o", str(tmp_path / "d.html")])
    assert outcome.exit_code == 0, outcome.output
    assert "kfdoctor comparison" in (tmp_path / "d.html").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    outcome = runner.invoke(app, ["report", str(bad), "-o", str(tmp_path / "x.html")])
    assert outcome.exit_code == 2 and not (tmp_path / "x.html").exists()
