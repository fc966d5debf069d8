"""Decorators that mark checks, fixtures and remediations, and the registry that collects them.

Decorators only attach a spec to the function; the registry finds specs by scanning the
modules that plugins hand it, so the engine never imports a check by name.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterable

from .model import PHASES, Severity

SPEC_ATTR = "__kfdoctor_spec__"
PARAMS_ATTR = "__kfdoctor_params__"


class LoadError(Exception):
    """A plugin declares something the engine cannot run (unknown fixture, duplicate id...)."""


@dataclass(frozen=True)
class KubeRead:
    """A Kubernetes permission a fixture needs: verb on group/resource, cluster-wide or not."""
    verb: str
    group: str
    resource: str
    namespaced: bool = True
    subresource: str | None = None

    @property
    def full_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def kubectl_grant(self, subject: str = "--serviceaccount=<namespace>:<name>") -> str:
        """The kubectl command that grants this permission."""
        dotted = f"{self.full_resource}.{self.group}" if self.group else self.full_resource
        return (f"kubectl create clusterrole kfdoctor-{self.verb}-{self.resource.replace('/', '-')} "
                f"--verb={self.verb} --resource={dotted} && kubectl create clusterrolebinding "
                f"kfdoctor-{self.verb}-{self.resource.replace('/', '-')} "
                f"--clusterrole=kfdoctor-{self.verb}-{self.resource.replace('/', '-')} {subject}")


@dataclass(frozen=True)
class FixtureSpec:
    name: str
    func: Callable
    scope: str = "session"             # "session" or "check"
    reads: tuple[KubeRead, ...] = ()
    writes: tuple[KubeRead, ...] = ()  # what a remediation using it may change (for `kfdoctor rbac`)

    @property
    def argnames(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.func).parameters)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    func: Callable
    severity: Severity
    phases: tuple[str, ...]
    tags: frozenset[str]
    timeout: float | None = None
    params: tuple[dict, ...] = ()      # from @parametrize: one dict per invocation

    @property
    def area(self) -> str:
        return self.id.split("_", 1)[0]

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def title(self) -> str:
        return self.doc.splitlines()[0].strip() if self.doc else self.id

    def section(self, heading: str) -> str:
        """The text under ``## heading`` in the docstring ('' when absent)."""
        lines, capture = [], False
        for line in self.doc.splitlines():
            if line.startswith("## "):
                capture = line[3:].strip().lower() == heading.lower()
                continue
            if capture:
                lines.append(line)
        return "\n".join(lines).strip()

    @property
    def argnames(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.func).parameters)

    @property
    def fixture_names(self) -> tuple[str, ...]:
        parametrized = {k for p in self.params for k in p}
        return tuple(a for a in self.argnames if a not in parametrized)


@dataclass(frozen=True)
class RemediationSpec:
    check: str
    func: Callable
    risk: str = "low"                  # "low", "medium" or "disruptive"
    writes: tuple[KubeRead, ...] = ()  # what its plans may read fresh and change (`kfdoctor rbac`)

    @property
    def title(self) -> str:
        doc = inspect.cleandoc(self.func.__doc__ or "")
        return doc.splitlines()[0].strip() if doc else self.func.__name__

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def fixture_names(self) -> tuple[str, ...]:
        return tuple(a for a in inspect.signature(self.func).parameters if a != "finding")


RISKS = ("low", "medium", "disruptive")


def check(severity: Severity | str = Severity.MEDIUM, phase: str | Iterable[str] = "post-launch",
          tags: Iterable[str] = (), timeout: float | None = None):
    """Mark a function as a check; its name is its id, its docstring its documentation."""
    phases = (phase,) if isinstance(phase, str) else tuple(phase)
    bad = [p for p in phases if p not in PHASES]
    if bad or not phases:
        raise ValueError(f"phase must be among {PHASES}, got {phases}")

    def mark(func: Callable) -> Callable:
        spec = CheckSpec(func.__name__, func, Severity(severity), phases, frozenset(tags), timeout,
                         tuple(getattr(func, PARAMS_ATTR, ())))
        setattr(func, SPEC_ATTR, spec)
        return func
    return mark


def parametrize(argnames: str, values: Iterable[Any]):
    """Run a check once per value, like pytest.mark.parametrize ("a,b" takes tuples)."""
    names = [n.strip() for n in argnames.split(",") if n.strip()]

    def mark(func: Callable) -> Callable:
        rows = []
        for value in values:
            row = value if len(names) > 1 else (value,)
            if len(row) != len(names):
                raise ValueError(f"parametrize {argnames!r}: {value!r} has not {len(names)} values")
            rows.append(dict(zip(names, row)))
        existing = list(getattr(func, PARAMS_ATTR, ())) or [{}]
        combined = tuple({**old, **new} for old in existing for new in rows)
        setattr(func, PARAMS_ATTR, combined)
        spec = getattr(func, SPEC_ATTR, None)
        if isinstance(spec, CheckSpec):
            setattr(func, SPEC_ATTR, CheckSpec(spec.id, spec.func, spec.severity, spec.phases,
                                               spec.tags, spec.timeout, combined))
        return func
    return mark


def fixture(func: Callable | None = None, *, name: str | None = None, scope: str = "session",
            reads: Iterable[KubeRead] = (), writes: Iterable[KubeRead] = ()):
    """Mark a function as a fixture, injected into checks by its name. May ``yield`` for teardown."""
    if scope not in ("session", "check"):
        raise ValueError(f"fixture scope must be 'session' or 'check', got {scope!r}")

    def mark(f: Callable) -> Callable:
        setattr(f, SPEC_ATTR, FixtureSpec(name or f.__name__, f, scope, tuple(reads), tuple(writes)))
        return f
    return mark(func) if func is not None else mark


def remediation(check_id: str, risk: str = "low", writes: Iterable[KubeRead] = ()):
    """Mark a function as the remediation of ``check_id``; it returns a Plan, it never acts.

    ``writes`` declares the Kubernetes permissions its plans use (e.g. get + patch storageclasses)."""
    if risk not in RISKS:
        raise ValueError(f"risk must be among {RISKS}, got {risk!r}")

    def mark(func: Callable) -> Callable:
        setattr(func, SPEC_ATTR, RemediationSpec(check_id, func, risk, tuple(writes)))
        return func
    return mark


@dataclass
class Registry:
    """Every check, fixture and remediation the loaded plugins provide."""
    checks: dict[str, CheckSpec] = field(default_factory=dict)
    fixtures: dict[str, FixtureSpec] = field(default_factory=dict)
    remediations: dict[str, RemediationSpec] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)   # id -> module that defined it

    def collect(self, module: ModuleType) -> None:
        for value in vars(module).values():
            spec = getattr(value, SPEC_ATTR, None)
            if spec is None or getattr(spec, "func", None) is not value:
                continue
            if isinstance(spec, CheckSpec):
                self._add(self.checks, spec.id, spec, module, "check")
            elif isinstance(spec, FixtureSpec):
                self._add(self.fixtures, spec.name, spec, module, "fixture")
            elif isinstance(spec, RemediationSpec):
                self._add(self.remediations, spec.check, spec, module, "remediation for")

    def _add(self, table: dict, key: str, spec: Any, module: ModuleType, what: str) -> None:
        origin = self.origins.get(f"{what}:{key}")
        if key in table and origin != module.__name__:
            raise LoadError(f"{what} {key!r} is defined twice: in {origin} and {module.__name__}")
        table[key] = spec
        self.origins[f"{what}:{key}"] = module.__name__

    def validate(self) -> None:
        """Fail at load time on unknown fixtures, remediations of unknown checks, or cycles."""
        available = ", ".join(sorted(self.fixtures))
        users = [(f"check {c.id}", c.fixture_names) for c in self.checks.values()]
        users += [(f"fixture {f.name}", f.argnames) for f in self.fixtures.values()]
        users += [(f"remediation for {r.check}", r.fixture_names) for r in self.remediations.values()]
        for who, names in users:
            for name in names:
                if name not in self.fixtures:
                    raise LoadError(f"{who} asks for unknown fixture {name!r}; available fixtures: "
                                    f"{available}")
        for spec in self.remediations.values():
            if spec.check not in self.checks:
                raise LoadError(f"remediation {spec.func.__name__} targets unknown check "
                                f"{spec.check!r}{suggest(spec.check, self.checks)}")
        for name in self.fixtures:
            self.fixture_closure([name])

    def fixture_closure(self, names: Iterable[str]) -> list[str]:
        """``names`` and everything they depend on, dependencies first."""
        order: list[str] = []
        visiting: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                cycle = " -> ".join(visiting[visiting.index(name):] + [name])
                raise LoadError(f"fixture dependency cycle: {cycle}")
            visiting.append(name)
            for dep in self.fixtures[name].argnames:
                visit(dep)
            visiting.pop()
            order.append(name)

        for name in names:
            visit(name)
        return order


def suggest(word: str, candidates: Iterable[str]) -> str:
    """'; did you mean ...?' for close matches, or ''."""
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
