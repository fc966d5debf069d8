"""Fixture resolution: values injected by name, cached per scope, torn down in reverse order."""
from __future__ import annotations

import inspect
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from .cancel import cancel
from .model import Skipped
from .registry import FixtureSpec, Registry


class FixtureFailed(Exception):
    """A fixture raised; every check that needs it errors with this one root cause."""

    def __init__(self, name: str, error: BaseException):
        super().__init__(f"fixture {name!r} failed: {describe(error)}")
        self.name = name
        self.error = error


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return text if text else type(error).__name__


class _Outcome:
    __slots__ = ("value", "error")

    def __init__(self, value: Any = None, error: BaseException | None = None):
        self.value, self.error = value, error

    def get(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class FixtureScope:
    """The cache of one scope: outcomes (values or errors) and the generators to tear down."""

    def __init__(self, registry: Registry, parent: "FixtureScope | None" = None,
                 values: dict[str, Any] | None = None):
        self.registry = registry
        self.parent = parent
        self._outcomes: dict[str, _Outcome] = {k: _Outcome(v) for k, v in (values or {}).items()}
        self._teardowns: list[tuple[str, Any]] = []
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _owner(self, spec: FixtureSpec) -> "FixtureScope":
        if spec.scope == "session" and self.parent is not None:
            return self.parent.root()
        return self

    def root(self) -> "FixtureScope":
        return self.parent.root() if self.parent else self

    def get(self, name: str) -> Any:
        """The value of fixture ``name``; raises Skipped or FixtureFailed (cached)."""
        if name in self._outcomes:
            return self._outcomes[name].get()
        spec = self.registry.fixtures[name]
        owner = self._owner(spec)
        if owner is not self:
            return owner.get(name)
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._outcomes:
                self._outcomes[name] = self._create(spec)
        return self._outcomes[name].get()

    def _create(self, spec: FixtureSpec) -> _Outcome:
        try:
            kwargs = {arg: self.get(arg) for arg in spec.argnames}
        except (Skipped, FixtureFailed) as upstream:
            return _Outcome(error=upstream)
        try:
            if inspect.isgeneratorfunction(spec.func):
                gen = spec.func(**kwargs)
                value = next(gen)
                with self._guard:
                    self._teardowns.append((spec.name, gen))
                return _Outcome(value)
            return _Outcome(spec.func(**kwargs))
        except Skipped as skipped:
            return _Outcome(error=skipped)
        except Exception as error:  # noqa: BLE001 - any fixture failure becomes a root cause
            return _Outcome(error=FixtureFailed(spec.name, error))

    def resolved(self, name: str) -> Any:
        """The value of ``name`` if it was resolved without error, else None (never resolves)."""
        outcome = self._outcomes.get(name)
        return outcome.value if outcome is not None and outcome.error is None else None

    def failures(self) -> dict[str, BaseException]:
        """Fixtures resolved so far that raised (root causes only)."""
        return {n: o.error for n, o in self._outcomes.items()
                if isinstance(o.error, FixtureFailed) and o.error.name == n}

    def prefetch(self, names: Iterable[str], workers: int = 8) -> None:
        """Resolve session fixtures concurrently (independent reads in parallel, bounded)."""
        session = [n for n in names if self.registry.fixtures[n].scope == "session"]
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fixture") as pool:
            try:
                for future in [pool.submit(self._quiet_get, n) for n in session]:
                    future.result()
            except KeyboardInterrupt:
                cancel()   # let running reads clean up before the pool waits for them
                raise

    def _quiet_get(self, name: str) -> None:
        try:
            self.get(name)
        except (Skipped, FixtureFailed):
            pass

    def close(self) -> list[str]:
        """Tear down in reverse order of setup; returns the errors met (never raises)."""
        errors = []
        while self._teardowns:
            name, gen = self._teardowns.pop()
            try:
                next(gen)
            except StopIteration:
                continue
            except Exception as error:  # noqa: BLE001
                errors.append(f"teardown of fixture {name!r} failed: {describe(error)}")
                continue
            errors.append(f"fixture {name!r} yielded more than once")
        return errors
