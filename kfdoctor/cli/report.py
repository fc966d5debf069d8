"""kfdoctor report: re-render a saved run, or compare two runs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .errors import handle_errors


def load_results(path: Path):
    from ..engine.results import ResultsError, RunResult

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsError(f"{path}: {error.strerror or error}") from None
    except ValueError as error:
        raise ResultsError(f"{path}: not JSON ({error})") from None
    try:
        return RunResult.from_dict(data)
    except Exception as error:  # noqa: BLE001 - ResultsError, or a shape the model rejects
        from ..engine.results import ResultsError
        if isinstance(error, ResultsError):
            raise ResultsError(f"{path}: {error}") from None
        raise ResultsError(f"{path}: malformed results ({type(error).__name__})") from None


@handle_errors
def report(results: List[Path] = typer.Argument(..., help="A results JSON file (kfdoctor check -o json or --json FILE); two to compare BEFORE AFTER."),
           output: Path = typer.Option(..., "-o", "--output", help="The file to write: .html (default), .xml (JUnit), .md, .prom or .json."),
           fmt: Optional[str] = typer.Option(None, "--format", help="html, junit, markdown, prometheus or json (default: from the file's suffix).")):
    """Render a saved run as an HTML report (or another format), or compare two runs."""
    from ..engine.plugins import load_registry
    from ..engine.results import ResultsError
    from ..reporting.writers import WRITERS, format_for, write_file
    from ..sources.errors import ConfigError

    if len(results) > 2:
        raise ConfigError("kfdoctor report takes one results file, or two to compare (BEFORE AFTER)")
    fmt = fmt or format_for(output)
    if fmt not in WRITERS:
        raise ConfigError(f"--format must be one of {', '.join(sorted(WRITERS))}, not {fmt!r}")
    runs = [load_results(path) for path in results]
    registry = load_registry()
    if len(runs) == 2:
        if fmt != "html":
            raise ResultsError("comparing two runs writes HTML only (-o FILE.html)")
        from ..reporting.html import render_diff_html
        text = render_diff_html(runs[0], runs[1], registry, (str(results[0]), str(results[1])))
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write {output}: {error.strerror or error}") from None
        typer.echo(f"comparison written to {output}", err=True)
        return
    write_file(output, fmt, runs[0], registry)
    typer.echo(f"{'report' if fmt == 'html' else fmt} written to {output}", err=True)
