"""Command-line values layered over the environment, the config file and the defaults.

``with_source_options`` calls :func:`layer`: it finds which options were given on the command
line (click's parameter source), resolves the effective configuration and fills every option
of the command that was not given from the environment or the file.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable

from ..configfile import OPTIONS, Effective, resolve
from ..settings import Settings


class SettingsFor:
    """``settings(replaying=False)`` -> Settings; ``.effective`` is the layered configuration."""

    def __init__(self, effective: Effective):
        self.effective = effective

    def __call__(self, replaying: bool = False) -> Settings:
        return self.effective.settings(replaying)


def _context():
    """The running command's click context (typer >= 0.2x vendors click as typer._click)."""
    try:
        from typer._click.globals import get_current_context
        ctx = get_current_context(silent=True)
    except ImportError:  # pragma: no cover - older typer on the real click
        ctx = None
    if ctx is None:
        import click
        ctx = click.get_current_context(silent=True)
    return ctx


def _keys(names: list[str]) -> dict[str, str]:
    """Parameter name -> config key (the long flag without dashes, else the name)."""
    ctx = _context()
    keys = {}
    params = {p.name: p for p in ctx.command.params} if ctx else {}
    for name in names:
        param = params.get(name)
        longs = [o for o in getattr(param, "opts", []) if o.startswith("--")]
        keys[name] = longs[0][2:].replace("-", "_") if longs else name
    return keys


def _given(name: str, value: Any) -> bool:
    """Was the option given on the command line? (no click context: any non-default value)"""
    ctx = _context()
    if ctx is not None and name in ctx.params:
        source = ctx.get_parameter_source(name)
        return getattr(source, "name", "") in ("COMMANDLINE", "PROMPT")
    return value is not None and value is not False


def _compatible(kind: type, annotation: Any) -> bool:
    """A command option of another kind that shares a key (bundle's -o FILE) is left alone."""
    text = str(annotation)
    if "Path" in text:
        return kind is Path
    return kind is not Path or "str" in text


def _as_annotated(value: Any, annotation: Any) -> Any:
    if isinstance(value, Path) and "Path" not in str(annotation):
        return str(value)
    return value


def layer(command: Callable, source: dict[str, Any], own: dict[str, Any]) -> SettingsFor:
    """Resolve the configuration and fill ``own`` (the command's options) in place."""
    config = source.pop("config", None)
    keys = _keys([*source, *own])
    cli = {keys[n]: v for n, v in source.items() if _given(n, v) and keys[n] in OPTIONS}
    annotations = {p.name: p.annotation for p in inspect.signature(command).parameters.values()}
    cli.update({keys[n]: v for n, v in own.items() if keys[n] in OPTIONS and _given(n, v)})
    effective = resolve(cli, config)
    for name in own:
        key = keys[name]
        if key in OPTIONS and effective.origins[key] in ("env", "file") \
                and _compatible(OPTIONS[key].type, annotations.get(name)):
            own[name] = _as_annotated(effective.values[key], annotations.get(name))
    return SettingsFor(effective)
