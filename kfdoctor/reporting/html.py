"""A one-file HTML report rendered with Jinja from kfdoctor.reports (autoescape on)."""
from __future__ import annotations

from ..engine.registry import Registry
from ..engine.results import RunResult, worst_first


def environment():
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("kfdoctor.reports", ""),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def render_html(result: RunResult, registry: Registry | None = None) -> str:
    docs = {}
    if registry is not None:
        docs = {cid: {"why": spec.section("Why it matters"), "fix": spec.section("Manual fix")}
                for cid, spec in registry.checks.items()}
    return environment().get_template("report.html.j2").render(
        result=result.to_dict(), rows=worst_first(result.results), docs=docs)
