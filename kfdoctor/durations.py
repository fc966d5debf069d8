"""Go duration strings (``time.ParseDuration``), as oauth2-proxy reads cookie_expire / cookie_refresh.

``"168h0m0s"``, ``"2h"``, ``"30m"``, ``"1h30m"``, ``"1.5h"``, ``"300ms"``, ``"-1m"`` and ``"0"``
are valid; ``""``, ``"5"``, ``"1d"`` and ``"h"`` are not (Go has no day unit and needs a unit on
every number except a lone zero). A TOML/JSON integer is a count of nanoseconds, as Go decodes
an integer into a ``time.Duration``.
"""
from __future__ import annotations

import re

UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
         "h": 3600.0}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class DurationError(ValueError):
    """Not a Go duration."""


def parse_duration(value: str | int | float) -> float:
    """Seconds in a Go duration string (or an integer count of nanoseconds)."""
    if isinstance(value, bool):
        raise DurationError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        return value * 1e-9
    text = str(value).strip()
    original = text
    sign = 1.0
    if text[:1] in "+-" and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise DurationError(f"invalid duration {original!r}")
    pos, total = 0, 0.0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            unit = re.match(r"[\d.]*([^\d.]*)", text[pos:]).group(1)
            detail = f"unknown unit {unit!r}" if unit and re.match(r"[\d.]", text[pos]) \
                else "missing unit" if not unit else "missing number"
            raise DurationError(f"invalid duration {original!r}: {detail} (Go syntax: 2h, 30m, "
                                "1h30m, 168h0m0s)")
        total += float(match.group(1)) * UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def format_seconds(seconds: float) -> str:
    """A short human form: 7800 -> '2h10m', 300 -> '5m', 45 -> '45s', 0 -> '0s'."""
    seconds = int(round(seconds))
    if seconds < 0:
        return "-" + format_seconds(-seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "",
             f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"
