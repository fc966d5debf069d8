"""``kfdoctor config show``: the effective configuration and where each value came from."""
from __future__ import annotations

import json

import typer

from .errors import handle_errors
from .source_options import with_source_options

config_app = typer.Typer(name="config", no_args_is_help=True, rich_markup_mode=None,
                         help="Inspect kfdoctor's configuration (kfdoctor.toml, $KFDOCTOR_*).")


def _toml(value) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


@config_app.command("show")
@handle_errors
@with_source_options
def show(output: str = typer.Option("table", "-o", "--format", help="table or json."),
         settings=None):
    """Print every option's effective value (secrets masked) and its origin: default, file,
    env or cli."""
    from ..sources.errors import ConfigError

    if output not in ("table", "json"):
        raise ConfigError(f"-o must be one of table, json, not {output!r}")
    effective = settings.effective
    rows = effective.rows()
    suppressions = [s.to_dict() for s in effective.suppressions]
    if output == "json":
        typer.echo(json.dumps({"config_file": str(effective.path) if effective.path else None,
                               "options": rows, "suppress": suppressions}, indent=2))
        return
    typer.echo(f"# config file: {effective.path or '(none)'}")
    width = max(len(r["key"]) for r in rows)
    for row in rows:
        value = row["value"] if row.get("secret") and row["value"] else _toml(row["value"])
        detail = f" ({row['from']})" if row.get("secret") else ""
        typer.echo(f"{row['key']:{width}} = {value:30} # {row['origin']}{detail}")
    for entry in suppressions:
        typer.echo(f"[[suppress]] check={entry['check']} resource={entry['resource']} "
                   f"expires={entry['expires'] or '-'} reason={entry['reason']!r}")
