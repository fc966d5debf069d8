"""Run the selected checks: resolve fixtures, call each check with a timeout, collect findings."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .fixtures import FixtureFailed, FixtureScope, describe
from .model import Finding, Resource, Skipped, Status
from .registry import CheckSpec, Registry

DEFAULT_TIMEOUT = 30.0


@dataclass
class CheckRun:
    """One check's outcome: its findings and how long it took."""
    spec: CheckSpec
    findings: list[Finding] = field(default_factory=list)
    duration_s: float = 0.0


def _check_resource(spec: CheckSpec) -> Resource:
    return Resource("Check", spec.id)


def _invoke(spec: CheckSpec, scope: FixtureScope, params: dict) -> list[Finding]:
    """Call one check with its fixtures and parameters; every outcome becomes findings."""
    try:
        kwargs = {name: scope.get(name) for name in spec.fixture_names}
        kwargs.update(params)
        result = spec.func(**kwargs)
        findings = list(result) if result is not None else []
    except Skipped as skipped:
        return [Finding(Status.SKIP, _check_resource(spec), skipped.reason)]
    except FixtureFailed as failed:
        evidence = {"root_cause": failed.name, "error": describe(failed.error)}
        for attr in ("permission", "grant"):       # a Forbidden read: what to grant, and how
            if getattr(failed.error, attr, ""):
                evidence[attr] = getattr(failed.error, attr)
        return [Finding(Status.ERROR, _check_resource(spec), str(failed), evidence)]
    except Exception as error:  # noqa: BLE001 - a crashing check is an error finding
        return [Finding(Status.ERROR, _check_resource(spec),
                        f"the check raised {type(error).__name__}: {describe(error)}")]
    bad = [f for f in findings if not isinstance(f, Finding)]
    if bad:
        return [Finding(Status.ERROR, _check_resource(spec),
                        f"the check yielded {type(bad[0]).__name__} instead of a finding")]
    if not findings:
        return [Finding(Status.SKIP, _check_resource(spec), "the check found nothing to judge")]
    if params:
        for finding in findings:
            finding.evidence.setdefault("parameters", {k: repr(v) for k, v in params.items()})
    return findings


def run_check(spec: CheckSpec, session: FixtureScope, timeout: float) -> CheckRun:
    """Run every invocation of ``spec`` in a daemon thread bounded by ``timeout``."""
    started = time.monotonic()
    outcome: dict[str, Any] = {}
    check_scope = FixtureScope(session.registry, parent=session)

    def target() -> None:
        try:
            outcome["findings"] = [f for params in (spec.params or ({},))
                                   for f in _invoke(spec, check_scope, params)]
        finally:
            outcome["teardown"] = check_scope.close()

    thread = threading.Thread(target=target, name=f"check-{spec.id}", daemon=True)
    thread.start()
    thread.join(timeout)
    duration = time.monotonic() - started
    if thread.is_alive():
        findings = [Finding(Status.ERROR, _check_resource(spec),
                            f"the check did not finish within its timeout of {timeout:g}s")]
    else:
        findings = outcome.get("findings", [])
        findings += [Finding(Status.ERROR, _check_resource(spec), e) for e in outcome["teardown"]]
    for finding in findings:
        finding.check = spec.id
        finding.duration_s = round(duration, 4)
    return CheckRun(spec, findings, duration)


class Runner:
    """Runs checks on one session scope; ``on_progress(done, total, check_id)`` reports progress."""

    def __init__(self, registry: Registry, values: dict[str, Any] | None = None,
                 timeout: float = DEFAULT_TIMEOUT, workers: int = 8,
                 on_progress: Callable[[int, int, str], None] | None = None):
        self.registry = registry
        self.session = FixtureScope(registry, values=values)
        self.timeout = timeout
        self.workers = workers
        self.on_progress = on_progress

    def prefetch(self, checks: Iterable[CheckSpec]) -> None:
        """Read every source the checks need, concurrently with a bound."""
        needed = self.registry.fixture_closure(n for c in checks for n in c.fixture_names)
        self.session.prefetch(needed, self.workers)

    def run(self, checks: list[CheckSpec]) -> list[CheckRun]:
        self.prefetch(checks)
        runs = []
        for done, spec in enumerate(checks, 1):
            runs.append(run_check(spec, self.session, spec.timeout or self.timeout))
            if self.on_progress:
                self.on_progress(done, len(checks), spec.id)
        return runs

    def close(self) -> list[str]:
        return self.session.close()
