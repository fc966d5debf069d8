"""One diagnostic run: select checks, read the sources (live, recording or replay), judge."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from . import __version__
from .engine.plugins import load_registry
from .engine.registry import Registry
from .engine.results import RunResult, result_rows
from .engine.runner import Runner
from .engine.selection import select
from .settings import Settings
from .sources.appdef import AppDefError, parse_appdef
from .sources.errors import ConfigError
from .sources.tape import Tape


@dataclass
class Selection:
    ids: list[str] = field(default_factory=list)
    keyword: str | None = None
    markers: str | None = None
    phase: str = "all"


@dataclass
class Outcome:
    result: RunResult
    runner: Runner
    registry: Registry

    @property
    def bad_input(self) -> list[str]:
        """Input files that could not be read (a malformed AppDef): the run completes, exit 2."""
        appdef = self.runner.session.resolved("appdef_file")
        if appdef is None or self.result.source.get("mode") != "live":
            return []
        try:
            parse_appdef(appdef["text"], f"--appdef {appdef['path']}")
        except AppDefError as error:
            return [str(error)]
        return []


def source_description(settings: Settings, tape: Tape, origin: str | None) -> dict:
    if tape.replaying:
        return {"mode": "bundle", "path": origin, "recorded_at": tape.manifest.get("created_at")}
    return {"mode": "live", "kubeconfig": settings.kubeconfig, "context": settings.context,
            "keycloak_url": settings.keycloak_url, "realm": settings.effective_realm,
            "job": settings.job}


def execute(settings: Settings, selection: Selection, tape: Tape, origin: str | None = None,
            registry: Registry | None = None,
            on_progress: Callable[[int, int, str], None] | None = None,
            values: dict | None = None) -> Outcome:
    """Run the selected checks; raises ConfigError when a source was configured wrongly.

    ``values`` injects more fixture values (e.g. ``fix_options`` for a fix run)."""
    registry = registry or load_registry()
    checks = select(registry.checks, selection.ids, selection.keyword, selection.markers,
                    selection.phase)
    if settings.suppressions:
        settings.suppressions.validate(registry.checks)
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    runner = Runner(registry, {**(values or {}), "settings": settings, "tape": tape},
                    timeout=settings.check_timeout, on_progress=on_progress)
    runner.prefetch(checks)
    failures = runner.session.failures()
    bad_input = [failures[name].error for name in sorted(failures)   # the same one every run
                 if isinstance(failures[name].error, ConfigError)]
    if bad_input:
        job = runner.session.resolved("job_state")
        runner.close()
        if job is not None and job.suspended:   # a paused job's nested cluster does not answer
            raise ConfigError(f"{bad_input[0]} (job {job.number} is suspended by user: "
                              f"{job.describe()}; resume it first)")
        raise bad_input[0]
    runs = runner.run(checks)
    rows = result_rows(runs, registry)
    if settings.suppressions:   # mark suppressed rows; expired and stale entries become rows
        rows += settings.suppressions.apply(rows, [c.id for c in checks])
    result = RunResult(selection.phase, started.isoformat(timespec="seconds"),
                       round(time.monotonic() - clock, 3), source_description(settings, tape, origin),
                       rows, __version__)
    return Outcome(result, runner, registry)
