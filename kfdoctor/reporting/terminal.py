"""The findings as a table: rich on a terminal, plain text when piped."""
from __future__ import annotations

from typing import TextIO

from ..engine.results import RunResult, worst_first

STYLES = {"pass": "green", "warn": "yellow", "fail": "bold red", "error": "magenta", "skip": "dim"}


def _resource(row: dict) -> str:
    res = row["resource"]
    scope = f"{res['namespace']}/" if res.get("namespace") else ""
    return f"{res['kind']} {scope}{res['name']}"


def _why(row: dict) -> str:
    """A suppressed row's reason (and expiry), as the config file states it."""
    mark = row.get("suppressed")
    if not isinstance(mark, dict):
        return "suppressed"
    return (mark.get("reason") or "") + (f", until {mark['expires']}" if mark.get("expires") else "")


def _summary(result: RunResult) -> str:
    counts = result.summary
    suppressed = sum(1 for r in result.results if r.get("suppressed"))
    text = ", ".join(f"{counts[s]} {s}" for s in ("fail", "error", "warn", "pass", "skip"))
    return text + (f" ({suppressed} suppressed)" if suppressed else "")


def write_plain(result: RunResult, out: TextIO, verbose: bool = False) -> None:
    for row in worst_first(result.results):
        if row["status"] in ("pass", "skip") and not verbose:
            continue
        mark = f" [suppressed: {_why(row)}]" if row.get("suppressed") else ""
        cause = f" (cause: {row['cause']})" if row.get("cause") else ""
        out.write(f"{row['status'].upper():5} {row['check']}  {_resource(row)}: "
                  f"{row['message']}{cause}{mark}\n")
    out.write(f"{_summary(result)} in {result.duration_s:.1f}s\n")


def write_rich(result: RunResult, out: TextIO, verbose: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out)
    table = Table(show_lines=False, expand=True)
    for column in ("status", "check", "resource", "message"):
        table.add_column(column, overflow="fold", ratio=3 if column == "message" else None)
    for row in worst_first(result.results):
        if row["status"] in ("pass", "skip") and not verbose:
            continue
        message = row["message"] + (f" (cause: {row['cause']})" if row.get("cause") else "")
        status = row["status"].upper() + (" (suppressed)" if row.get("suppressed") else "")
        if row.get("suppressed"):
            message += f" [suppressed: {_why(row)}]"
        table.add_row(Text(status, style=STYLES[row["status"]]), Text(row["check"]),
                      Text(_resource(row)), Text(message))
    console.print(table)
    console.print(f"{_summary(result)} in {result.duration_s:.1f}s")


def write_table(result: RunResult, out: TextIO, verbose: bool = False) -> None:
    (write_rich if out.isatty() else write_plain)(result, out, verbose)
