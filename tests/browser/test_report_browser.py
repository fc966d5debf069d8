"""The HTML report in headless Chromium: renders offline, filters, searches, escapes."""
from __future__ import annotations

import json

import pytest

from kfdoctor.reporting.html import render_diff_html, render_html
from tests.report_data import HOSTILE, make_run

pytestmark = pytest.mark.browser


def open_report(chromium, path):
    page = chromium.new_page()
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=10000)
    return page, problems, requests


def shown(page) -> int:
    return page.locator("#results details.finding").count()


def test_report_renders_filters_searches_and_escapes(chromium, registry, tmp_path, artifacts):
    run = make_run(120, fix={"plans": [{"check": "storage_default_class_unique",
                                        "resource": "StorageClass standard",
                                        "summary": "annotate standard as default",
                                        "outcome": "FIXED", "reason": ""}],
                             "journal": "/tmp/journal.json"})
    path = tmp_path / "report.html"
    path.write_text(render_html(run, registry), encoding="utf-8")
    page, problems, requests = open_report(chromium, path)
    try:
        assert problems == []
        assert requests == [path.as_uri()], "only the page itself is requested"
        assert page.evaluate("window.__pwned") is None, "no injected script ran"
        total = len(run.results)
        assert shown(page) == total
        # failing first: the first group holds the failures and warnings
        first = page.locator("#results .group").first
        assert first.locator("h3").inner_text().startswith("Failures and warnings")
        assert first.locator("details.finding").first.get_attribute("data-status") in ("fail", "error")
        # the hostile finding is shown as text, in full
        hostile = page.locator("#results details.finding", has_text="window.__pwned = 1")
        assert hostile.count() == 1
        assert HOSTILE in hostile.locator(".message").inner_text()
        assert HOSTILE in hostile.locator(".resource").inner_text()
        hostile.locator("summary").click()
        assert json.dumps(HOSTILE) in hostile.locator(".evidence").inner_text()
        assert page.evaluate("window.__pwned") is None
        assert page.locator("img").count() == 0 and page.locator("#results b").count() == 0
        # status filter
        page.locator("input[name=status][value=pass]").uncheck()
        passes = sum(1 for r in run.results if r["status"] == "pass")
        assert shown(page) == total - passes
        assert page.locator("#results details[data-status=pass]").count() == 0
        # area filter
        page.locator("input[name=area][value=keycloak]").uncheck()
        expected = sum(1 for r in run.results if r["status"] != "pass" and r["area"] != "keycloak")
        assert shown(page) == expected
        # severity filter
        page.locator("input[name=severity][value=low]").uncheck()
        expected = sum(1 for r in run.results if r["status"] != "pass" and r["area"] != "keycloak"
                       and r["severity"] != "low")
        assert shown(page) == expected
        for name, value in (("status", "pass"), ("area", "keycloak"), ("severity", "low")):
            page.locator(f"input[name={name}][value={value}]").check()
        assert shown(page) == total
        # suppressed findings are marked, kept, and can be hidden
        suppressed = sum(1 for r in run.results if r["suppressed"])
        assert page.locator("#results details.is-suppressed .flag.suppressed").count() == suppressed
        page.locator("input[name=suppressed]").uncheck()
        assert shown(page) == total - suppressed
        page.locator("input[name=suppressed]").check()
        # search
        page.fill("#search", "pod-77")
        page.wait_for_function("() => document.body.dataset.matching === '1'")
        assert shown(page) == 1
        page.fill("#search", "window.__pwned")
        page.wait_for_function("() => document.body.dataset.matching === '1'")
        page.fill("#search", "")
        page.wait_for_function(f"() => document.body.dataset.matching === '{total}'")
        # cause link points at the cause check's documentation
        caused = page.locator("#results details.finding", has=page.locator("xpath=.")).filter(
            has_text="finding number 1:").first
        caused.locator("summary").click()
        link = caused.locator("a.cause")
        assert link.get_attribute("href") == "#check-storage_default_class_unique"
        link.click()
        assert page.locator("#check-storage_default_class_unique h4").first.inner_text() == "Why it matters"
        # the fix run
        assert page.locator("#fix .plan .outcome").inner_text() == "FIXED"
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / "report.png"), full_page=False)
        assert problems == [] and requests == [path.as_uri()]
    finally:
        page.close()


def test_comparison_report_renders_and_filters(chromium, registry, tmp_path, artifacts):
    before, after = make_run(30), make_run(30)
    fixed = next(r for r in after.results if r["status"] == "fail")
    fixed["status"] = "pass"
    path = tmp_path / "diff.html"
    path.write_text(render_diff_html(before, after, registry), encoding="utf-8")
    page, problems, requests = open_report(chromium, path)
    try:
        assert problems == [] and requests == [path.as_uri()]
        groups = page.locator("#results .group h3").all_inner_texts()
        assert groups[0].startswith("Unchanged problems") or groups[0].startswith("New problems")
        assert any(g.startswith("Resolved (1)") for g in groups)
        page.locator("input[name=change][value=unchanged]").uncheck()
        assert shown(page) == 1
        page.screenshot(path=str(artifacts / "report-diff.png"))
    finally:
        page.close()
