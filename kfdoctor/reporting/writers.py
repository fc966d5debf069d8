"""The output formats of ``-o``: each renders the one RunResult model."""
from __future__ import annotations

import io
from typing import Callable

from ..engine.registry import Registry
from ..engine.results import RunResult
from .html import render_html
from .junit import render_junit
from .markdown import render_markdown
from .prometheus import render_prometheus
from .terminal import write_plain


def _plain(result: RunResult, registry: Registry | None) -> str:
    buffer = io.StringIO()
    write_plain(result, buffer)
    return buffer.getvalue()


WRITERS: dict[str, Callable[[RunResult, Registry | None], str]] = {
    "json": lambda result, registry: result.to_json() + "\n",
    "html": render_html,
    "table": _plain,
    "junit": render_junit,
    "markdown": render_markdown,
    "prometheus": render_prometheus,
}

# What a file's suffix says about its format (kfdoctor report ... -o FILE).
SUFFIXES = {".json": "json", ".html": "html", ".htm": "html", ".xml": "junit", ".md": "markdown",
            ".prom": "prometheus", ".txt": "table"}


def format_for(path) -> str:
    """The format of an output file, from its suffix (HTML when unknown)."""
    from pathlib import Path

    return SUFFIXES.get(Path(path).suffix.lower(), "html")


def write_file(path, fmt: str, result: RunResult, registry: Registry | None = None) -> None:
    """Render ``result`` as ``fmt`` into ``path``, atomically (a partial file never remains)."""
    import os
    from pathlib import Path

    text = render(fmt, result, registry)
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        from ..sources.errors import ConfigError
        raise ConfigError(f"cannot write {path}: {error.strerror or error}") from None


def render(fmt: str, result: RunResult, registry: Registry | None = None) -> str:
    if fmt not in WRITERS:
        from ..sources.errors import ConfigError
        raise ConfigError(f"unknown output format {fmt!r}; use one of {', '.join(sorted(WRITERS))}")
    return WRITERS[fmt](result, registry)
