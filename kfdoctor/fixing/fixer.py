"""A fix run: gather plans for the failing findings, apply them with a journal, re-check, undo."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..engine.fixtures import FixtureFailed, FixtureScope, describe
from ..engine.model import Finding, Resource, Skipped, Status
from ..settings import Settings
from ..sources.errors import Conflict
from .context import FixContext
from .journal import Journal
from .options import FixOptions
from .plan import NotRestorable, Plan, PrintOnly

FIXABLE = ("fail", "warn")
SETTLE_POLL_S = 2.0   # between re-checks of a plan with a settle window
# Outcomes of a plan.
FIXED, NOT_FIXED, FAILED = "FIXED", "NOT FIXED", "FAILED"
UNCHANGED, MANUAL, SKIPPED = "UNCHANGED", "MANUAL", "SKIPPED"

Echo = Callable[[str], None]


@dataclass
class PlannedFix:
    """A plan with its outcome (filled as the run goes)."""
    plan: Plan
    outcome: str = ""
    reason: str = ""
    entry: dict | None = None   # its journal entry
    changed: bool = False

    def to_dict(self) -> dict:
        plan = self.plan
        return {"check": plan.check, "resource": plan.resource.to_dict() if plan.resource else None,
                "risk": plan.risk, "summary": plan.summary, "diff": plan.diff(),
                "outcome": self.outcome, "reason": self.reason}


def finding_of(row: dict) -> Finding:
    """The Finding a result row was made from (what a remediation receives)."""
    res = row["resource"]
    return Finding(Status(row["status"]), Resource(res["kind"], res["name"], res.get("namespace")),
                   row["message"], dict(row.get("evidence") or {}), row.get("cause"),
                   check=row["check"])


def gather(outcome, allow_disruptive: bool = False) -> list[PlannedFix]:
    """Ask each remediation for a plan for each failing/warning finding of its check."""
    registry, session = outcome.registry, outcome.runner.session
    fixes: list[PlannedFix] = []
    for row in outcome.result.results:
        spec = registry.remediations.get(row["check"])
        if spec is None or row["status"] not in FIXABLE or row.get("suppressed"):
            continue
        finding = finding_of(row)
        scope = FixtureScope(registry, parent=session)
        try:
            kwargs = {name: scope.get(name) for name in spec.fixture_names}
            plan = spec.func(finding, **kwargs)
        except Skipped as skipped:
            plan = Plan.manual_only(f"cannot plan automatically: {skipped.reason}",
                                    registry.checks[row["check"]].section("Manual fix"))
        except FixtureFailed as failed:
            plan = Plan(f"cannot plan: {failed}")
            fixes.append(_tag(PlannedFix(plan, FAILED, str(failed)), spec, finding))
            continue
        except Exception as error:  # noqa: BLE001 - a crashing remediation fails its plan only
            plan = Plan(f"the remediation raised {type(error).__name__}: {describe(error)}")
            fixes.append(_tag(PlannedFix(plan, FAILED, plan.summary), spec, finding))
            continue
        finally:
            scope.close()
        if plan is None:
            continue
        fix = _tag(PlannedFix(plan), spec, finding)
        if plan.manual:
            fix.outcome, fix.reason = MANUAL, f"manual only: {plan.manual}"
        elif spec.risk == "disruptive" and not allow_disruptive and plan.applicable:
            fix.outcome, fix.reason = SKIPPED, "disruptive: pass --allow-disruptive to apply it"
        fixes.append(fix)
    return fixes


def _tag(fix: PlannedFix, spec, finding: Finding) -> PlannedFix:
    fix.plan.check, fix.plan.resource, fix.plan.risk = spec.check, finding.resource, spec.risk
    return fix


def to_apply(fixes: list[PlannedFix]) -> list[PlannedFix]:
    return [f for f in fixes if not f.outcome]


def preview(fixes: list[PlannedFix], echo: Echo) -> None:
    for number, fix in enumerate(fixes, 1):
        plan = fix.plan
        echo(f"[{number}] {plan.check} on {plan.resource} (risk {plan.risk}): {plan.summary}")
        echo(plan.diff())
        if fix.outcome:
            echo(f"    -> {fix.outcome}: {fix.reason}")
        echo("")


def apply(fixes: list[PlannedFix], settings: Settings, journal: Journal, echo: Echo,
          on_applied: Callable[[PlannedFix, object], None] | None = None) -> FixContext:
    """Apply each plan's actions in order; the journal is saved before and after each one."""
    ctx = FixContext(settings)
    for fix in fixes:
        fix.entry = journal.add_plan(fix.plan)
        if fix.outcome:
            journal.update(fix.entry, outcome=fix.outcome, reason=fix.reason)
            continue
        failure, notes = None, []
        for action, record in zip(fix.plan.actions, fix.entry["actions"]):
            if isinstance(action, PrintOnly):
                journal.update(record, state="printed")
                continue
            try:
                captured = action.capture(ctx)
            except Conflict as error:
                journal.update(record, state="conflict", error=str(error))
                failure = f"conflict, nothing overwritten: {error}"
                break
            except Exception as error:  # noqa: BLE001 - reported as the plan's reason
                journal.update(record, state="not-applied", error=describe(error))
                failure = f"reading the before-state failed, nothing applied: {describe(error)}"
                break
            if captured.noop:
                journal.update(record, state="unchanged", before=captured.before,
                               note=captured.note)
                notes.append(captured.note)
                continue
            journal.update(record, state="applying", before=captured.before)   # before applying
            try:
                result = action.apply(ctx, captured)
            except Conflict as error:
                journal.update(record, state="conflict", error=str(error))
                failure = f"conflict, nothing overwritten: {error}"
                break
            except Exception as error:  # noqa: BLE001
                journal.update(record, state="failed", error=describe(error))
                failure = describe(error)
                break
            journal.update(record, state="applied", result=result)
            fix.changed = fix.changed or action.changes_state
            if on_applied:
                on_applied(fix, action)
        if failure:
            fix.outcome, fix.reason = FAILED, failure + (
                "; earlier steps of this plan were applied and are in the journal"
                if fix.changed else "")
        elif not fix.changed:
            fix.outcome = UNCHANGED
            fix.reason = "nothing changed, already in place: " + "; ".join(n for n in notes if n)
        journal.update(fix.entry, outcome=fix.outcome or "APPLIED", reason=fix.reason)
        echo(f"  {fix.plan.check} on {fix.plan.resource}: "
             f"{'applied' if fix.changed else fix.outcome}{': ' + fix.reason if fix.reason else ''}")
    return ctx


def verify(fixes: list[PlannedFix], settings: Settings, options: FixOptions, journal: Journal,
           registry=None) -> None:
    """Re-run each applied plan's check on fresh reads and set FIXED / NOT FIXED; a plan with
    a settle window (a change another component picks up later) is re-checked until it passes or
    the window ends."""
    pending = [f for f in fixes if f.outcome in ("", UNCHANGED)]
    groups: dict[str, list[PlannedFix]] = {}
    for fix in pending:
        # one re-check per check: a source that stopped answering spoils only its own checks
        key = repr((fix.plan.check, sorted(fix.plan.verify_settings.items())))
        groups.setdefault(key, []).append(fix)
    for group in groups.values():
        _verify_group(group, settings, options, registry)
        for fix in group:
            journal.update(fix.entry, outcome=fix.outcome, reason=fix.reason)


def _verify_group(group: list[PlannedFix], settings: Settings, options: FixOptions,
                  registry) -> None:
    """Judge the plans of one re-check, again every SETTLE_POLL_S while one is NOT FIXED and
    the longest settle window of the group lasts."""
    overrides = group[0].plan.verify_settings
    run_settings = dataclasses.replace(settings, **overrides) if overrides else settings
    applied = [(fix, fix.outcome, fix.reason) for fix in group]
    deadline = time.monotonic() + max(fix.plan.settle_s for fix in group)
    while True:
        for fix, outcome, reason in applied:
            fix.outcome, fix.reason = outcome, reason
        try:
            rows = _recheck(run_settings, sorted({f.plan.check for f in group}), options, registry)
        except Exception as error:  # noqa: BLE001 - e.g. a source that stopped answering
            for fix in group:
                fix.outcome = fix.outcome or NOT_FIXED
                fix.reason = (fix.reason + "; " if fix.reason else "") + \
                    f"could not re-check: {describe(error)}"
            return
        for fix in group:
            _judge(fix, rows)
        if all(f.outcome != NOT_FIXED for f in group) or time.monotonic() >= deadline:
            return
        time.sleep(SETTLE_POLL_S)


def _recheck(settings: Settings, checks: list[str], options: FixOptions, registry) -> list[dict]:
    """The result rows of ``checks`` run now on fresh reads."""
    from ..run import Selection, execute
    from ..sources.tape import Tape

    outcome = execute(settings, Selection(checks), Tape("live"), registry=registry,
                      values={"fix_options": options})
    outcome.runner.close()
    return outcome.result.results


def _judge(fix: PlannedFix, rows: list[dict]) -> None:
    res = fix.plan.resource.to_dict() if fix.plan.resource else None
    mine = [r for r in rows if r["check"] == fix.plan.check]
    on_resource = [r for r in mine if r["resource"] == res] or mine
    bad = [r for r in on_resource if r["status"] in ("fail", "error", "warn")]
    passed = [r for r in on_resource if r["status"] == "pass"]
    note = f" ({fix.plan.note})" if fix.plan.note else ""
    if fix.outcome == UNCHANGED:
        state = ("the check passes" if passed and not bad else
                 f"the check still reports: {bad[0]['message'] if bad else 'nothing to judge'}")
        fix.reason = f"{fix.reason}; {state}{note}"
        return
    if bad:
        fix.outcome, fix.reason = NOT_FIXED, f"the check still reports: {bad[0]['message']}{note}"
    elif passed:
        fix.outcome, fix.reason = FIXED, f"the check passes: {passed[0]['message']}{note}"
    else:
        reason = on_resource[0]["message"] if on_resource else "no finding"
        fix.outcome, fix.reason = NOT_FIXED, f"could not re-check: {reason}{note}"


def fix_summary(fixes: list[PlannedFix], journal_path: Path | None) -> dict:
    """What RunResult.extra["fix"] holds."""
    return {"journal": str(journal_path) if journal_path else None,
            "plans": [f.to_dict() for f in fixes]}


# -- undo -------------------------------------------------------------------------------------
UNDO_STATES = ("applied", "applying", "failed", "undo-failed")


@dataclass
class UndoReport:
    restored: list[str] = field(default_factory=list)
    not_restored: list[str] = field(default_factory=list)
    untouched: int = 0


def undo(journal: Journal, settings: Settings, echo: Echo) -> UndoReport:
    """Restore, newest first, every before-state the journal saved that it still can."""
    ctx = FixContext(settings)
    report = UndoReport()
    for plan, record, action in reversed(list(journal.records())):
        state = record.get("state")
        if state not in UNDO_STATES or (state == "failed" and not action.reversible):
            report.untouched += 1
            continue
        label = f"{plan['check']}: {action.preview().splitlines()[0].strip()}"
        try:
            message = action.undo(ctx, record)
        except NotRestorable as error:
            journal.update(record, state="undo-failed", undo=str(error))
            report.not_restored.append(f"{label}: {error}")
            echo(f"  NOT RESTORED {label}: {error}")
            continue
        except Exception as error:  # noqa: BLE001 - reported, the others are still tried
            journal.update(record, state="undo-failed", undo=describe(error))
            report.not_restored.append(f"{label}: {describe(error)}")
            echo(f"  NOT RESTORED {label}: {describe(error)}")
            continue
        journal.update(record, state="undone", undo=message)
        report.restored.append(message)
        echo(f"  restored: {message}")
    journal.finish("undo-incomplete" if report.not_restored else "undone")
    return report
