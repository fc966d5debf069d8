"""The output formats of ``-o``: each renders the one RunResult model."""
from __future__ import annotations

import io
from typing import Callable

from ..engine.registry import Registry
from ..engine.results import RunResult
from .html import render_html
from .terminal import write_plain


def _plain(result: RunResult, registry: Registry | None) -> str:
    buffer = io.StringIO()
    write_plain(result, buffer)
    return buffer.getvalue()


WRITERS: dict[str, Callable[[RunResult, Registry | None], str]] = {
    "json": lambda result, registry: result.to_json() + "\n",
    "html": render_html,
    "table": _plain,
}


def render(fmt: str, result: RunResult, registry: Registry | None = None) -> str:
    if fmt not in WRITERS:
        from ..sources.errors import ConfigError
        raise ConfigError(f"unknown output format {fmt!r}; use one of {', '.join(sorted(WRITERS))}")
    return WRITERS[fmt](result, registry)
