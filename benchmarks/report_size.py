"""The HTML report at 10,000 findings: its size and the time until it is interactive in Chromium.

    python benchmarks/report_size.py [N ...]        (default 1000 10000)

Prints, per N: the file's size in MB, render time in Python, and in headless Chromium the time
from navigation until the report's script has drawn the findings (body[data-ready]), then the
time a search takes to redraw.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kfdoctor.engine.plugins import load_registry  # noqa: E402
from kfdoctor.reporting.html import render_html  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.report_data import make_run  # noqa: E402


def main(sizes: list[int]) -> None:
    from playwright.sync_api import sync_playwright

    registry = load_registry()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(Path(tmp) / "profile"), executable_path=chromium_path(), headless=True,
            args=CHROMIUM_ARGS)
        warm = Path(tmp) / "warm.html"
        warm.write_text(render_html(make_run(10), registry), encoding="utf-8")
        page = context.new_page()
        page.goto(warm.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        page.close()
        print(f"{'findings':>9} {'size MB':>8} {'render s':>9} {'interactive s':>14} {'search s':>9}")
        for n in sizes:
            run = make_run(n)
            start = time.perf_counter()
            html = render_html(run, registry)
            rendered = time.perf_counter() - start
            path = Path(tmp) / f"report-{n}.html"
            path.write_text(html, encoding="utf-8")
            size = path.stat().st_size / 1e6
            page = context.new_page()
            start = time.perf_counter()
            page.goto(path.as_uri(), wait_until="commit")
            page.wait_for_selector("body[data-ready=true]", timeout=60000)
            page.locator("#search").wait_for()
            interactive = time.perf_counter() - start
            start = time.perf_counter()
            page.fill("#search", "pod-77")
            page.wait_for_function("() => document.body.dataset.matching !== String(%d)" % n)
            searched = time.perf_counter() - start
            page.close()
            print(f"{n:>9} {size:>8.2f} {rendered:>9.2f} {interactive:>14.2f} {searched:>9.2f}")
            assert size < 10, "the report must stay under 10 MB"
        context.close()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
