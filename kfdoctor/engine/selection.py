"""Which checks run: ids, ``-k`` over ids, ``-m`` over tags and the phase."""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .registry import CheckSpec, suggest


class SelectionError(ValueError):
    """A usage error in the selection (unknown id, malformed expression)."""


_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


class Expression:
    """A boolean expression of words with and/or/not and parentheses, as pytest's -k and -m."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = [t for t in _TOKEN.findall(text)]
        if not self.tokens:
            raise SelectionError(f"empty expression {text!r}")
        self._validate()

    def _validate(self) -> None:
        self.evaluate(lambda word: False)

    def evaluate(self, matches: Callable[[str], bool]) -> bool:
        pos = 0

        def peek() -> str | None:
            return self.tokens[pos] if pos < len(self.tokens) else None

        def take() -> str:
            nonlocal pos
            if pos >= len(self.tokens):
                raise SelectionError(f"expression {self.text!r} ends too early")
            pos += 1
            return self.tokens[pos - 1]

        def or_expr() -> bool:
            value = and_expr()
            while peek() == "or":
                take()
                value = and_expr() or value
            return value

        def and_expr() -> bool:
            value = not_expr()
            while peek() == "and":
                take()
                value = not_expr() and value
            return value

        def not_expr() -> bool:
            if peek() == "not":
                take()
                return not not_expr()
            token = take()
            if token == "(":
                value = or_expr()
                if take() != ")":
                    raise SelectionError(f"expression {self.text!r}: missing ')'")
                return value
            if token in (")", "and", "or"):
                raise SelectionError(f"expression {self.text!r}: unexpected {token!r}")
            return matches(token)

        result = or_expr()
        if pos != len(self.tokens):
            raise SelectionError(f"expression {self.text!r}: unexpected {self.tokens[pos]!r}")
        return result


def select(checks: dict[str, CheckSpec], ids: Iterable[str] = (), keyword: str | None = None,
           markers: str | None = None, phase: str = "all") -> list[CheckSpec]:
    """The checks to run, in a stable order (by area, then id)."""
    ids = list(ids)
    for check_id in ids:
        if check_id not in checks:
            raise SelectionError(f"unknown check id {check_id!r}{suggest(check_id, checks)}")
    if phase not in ("all", "pre-launch", "post-launch"):
        raise SelectionError(f"unknown phase {phase!r}; use pre-launch, post-launch or all")
    k_expr = Expression(keyword) if keyword else None
    m_expr = Expression(markers) if markers else None
    chosen = []
    for spec in sorted(checks.values(), key=lambda c: (c.area, c.id)):
        if ids and spec.id not in ids:
            continue
        if phase != "all" and phase not in spec.phases:
            continue
        if k_expr and not k_expr.evaluate(lambda w, s=spec: w.lower() in s.id.lower()):
            continue
        if m_expr and not m_expr.evaluate(lambda w, s=spec: w in s.tags):
            continue
        chosen.append(spec)
    return chosen
