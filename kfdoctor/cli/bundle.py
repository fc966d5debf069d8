"""kfdoctor bundle: run the checks in record mode and pack a redacted support bundle."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .errors import handle_errors
from .source_options import with_source_options


@handle_errors
@with_source_options
def bundle(ids: Optional[List[str]] = typer.Argument(None, help="Check ids to run (default: every check of the phase)."),
           output: Path = typer.Option(..., "-o", "--output", help="The bundle to write (FILE.tar.gz)."),
           phase: str = typer.Option("all", "--phase", help="pre-launch, post-launch or all."),
           keyword: Optional[str] = typer.Option(None, "-k", help="Expression over check ids."),
           markers: Optional[str] = typer.Option(None, "-m", help="Expression over tags."),
           log_lines: int = typer.Option(200, "--log-lines", help="Lines of log kept per container."),
           log_bytes: int = typer.Option(65536, "--log-bytes", help="Bytes of log kept per container."),
           max_pods: int = typer.Option(20, "--max-pods", help="Failing pods whose logs are collected."),
           max_events: int = typer.Option(2000, "--max-events", help="Events kept (the most recent)."),
           settings=None):
    """Collect a support bundle: recorded reads, results, report, logs of failing pods, events.

    Everything is redacted before it is written (redactions.json says where, never the value);
    `kfdoctor check --from FILE.tar.gz` analyses it offline with the same findings.
    """
    from ..bundle.collect import Limits, make_bundle
    from ..run import Selection

    limits = Limits(log_lines=log_lines, log_bytes=log_bytes, max_pods=max_pods,
                    max_events=max_events)
    summary = make_bundle(settings(replaying=False), Selection(list(ids or []), keyword, markers, phase),
                          output, limits, on_progress=lambda text: typer.echo(text, err=True))
    typer.echo(f"bundle written to {output} ({summary['files']} files, {summary['redactions']} "
               f"redactions, {len(summary['skipped'])} reads skipped)", err=True)
