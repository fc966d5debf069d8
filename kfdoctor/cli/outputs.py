"""Several outputs from one run: --json, --junit, --markdown, --prometheus FILE (with --report)."""
from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Optional

import typer

P = inspect.Parameter

# option -> format written to its file
FILE_OPTIONS = {"json_file": ("--json", "json", "Also write the results JSON (schema kfdoctor/results/v1) to FILE."),
                "junit_file": ("--junit", "junit", "Also write JUnit XML (one testcase per finding) to FILE."),
                "markdown_file": ("--markdown", "markdown", "Also write a Markdown summary to FILE."),
                "prometheus_file": ("--prometheus", "prometheus", "Also write Prometheus text exposition to FILE.")}
OUTPUT_PARAMS = [P(name, P.KEYWORD_ONLY, annotation=Optional[Path],
                   default=typer.Option(None, flag, help=help, metavar="FILE"))
                 for name, (flag, _fmt, help) in FILE_OPTIONS.items()]
STDOUT_FORMATS = ("table", "json", "html", "junit", "markdown", "prometheus")


def with_output_files(command):
    """Add the output-file options to ``command``; it receives them as ``outputs`` {format: Path}."""
    signature = inspect.signature(command)
    own = [p for p in signature.parameters.values() if p.name != "outputs"]

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        given = {name: kwargs.pop(name, None) for name in FILE_OPTIONS}
        kwargs["outputs"] = {FILE_OPTIONS[name][1]: path for name, path in given.items() if path}
        return command(*args, **kwargs)

    keyword = [p for p in own if p.kind == P.KEYWORD_ONLY]
    positional = [p for p in own if p.kind != P.KEYWORD_ONLY]
    wrapper.__signature__ = signature.replace(parameters=positional + keyword + OUTPUT_PARAMS)
    return wrapper


def write_output_files(result, registry, outputs: dict | None, report: Path | None = None) -> None:
    """Each requested file in its format; progress on stderr."""
    from ..reporting.writers import write_file

    files = dict(outputs or {})
    if report is not None:
        files["html"] = report
    for fmt, path in files.items():
        write_file(path, fmt, result, registry)
        typer.echo(f"{'report' if fmt == 'html' else fmt} written to {path}", err=True)
