"""The AppDef JSON file of the JARVICE Kubeflow application."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .tape import Tape


class AppDefError(ValueError):
    """The AppDef is not valid JSON; the message gives line and column."""


def parse_appdef(text: str, name: str = "AppDef") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AppDefError(f"{name}: invalid JSON at line {error.lineno}, column {error.colno}: "
                          f"{error.msg}") from None


def read_appdef(tape: Tape, path: str) -> dict:
    """The AppDef's text, recorded; a missing file is a ConfigError, bad JSON is for the checks."""
    def fetch() -> dict:
        try:
            return {"path": str(path), "text": Path(path).read_text()}
        except OSError as error:
            raise ConfigError(f"--appdef {path}: {error.strerror or error}") from None
    return tape.read("appdef", "file", {"path": str(path)}, fetch)
