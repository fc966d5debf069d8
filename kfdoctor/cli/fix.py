"""`kfdoctor fix`: plan, preview, confirm, journal, apply, re-check; `--undo JOURNAL`."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import handle_errors
from .outputs import with_output_files
from .source_options import with_source_options

OUTPUTS = ("table", "json", "html", "junit", "markdown", "prometheus")


def _validate(value, choices, option):
    if value is not None and value not in choices:
        from ..sources.errors import ConfigError
        raise ConfigError(f"{option} must be one of {', '.join(choices)}, not {value!r}")


@handle_errors
@with_source_options
@with_output_files
def fix(ids: Optional[List[str]] = typer.Argument(None, help="Check ids to fix (default: every "
                                                   "fixable failing check)."),
        phase: str = typer.Option("all", "--phase", help="pre-launch, post-launch or all."),
        keyword: Optional[str] = typer.Option(None, "-k", help="Expression over check ids."),
        markers: Optional[str] = typer.Option(None, "-m", help="Expression over tags."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Apply without asking."),
        allow_disruptive: bool = typer.Option(False, "--allow-disruptive", help="Also apply "
                                              "disruptive plans (restarts, privileged pods, "
                                              "ingress filters)."),
        journal: Optional[Path] = typer.Option(None, "--journal", metavar="FILE", help="Where to "
                                               "write the journal (default: ~/.local/state/"
                                               "kfdoctor/journals/)."),
        undo: Optional[Path] = typer.Option(None, "--undo", metavar="JOURNAL", help="Restore "
                                            "what the fix run of JOURNAL changed."),
        default_class: Optional[str] = typer.Option(None, "--default-class", help="storage: the "
                                                    "StorageClass to keep as the only default."),
        email_policy: Optional[str] = typer.Option(None, "--email-policy", help="keycloak: send "
                                                   "(verification mail) or trust (mark verified)."),
        realm_wide: bool = typer.Option(False, "--realm-wide", help="keycloak: raise the realm's "
                                        "accessTokenLifespan instead of the client's."),
        add_path: Optional[List[str]] = typer.Option(None, "--add-path", help="kserve: a path to "
                                                     "add to the whitelist (repeatable)."),
        print_host_commands: bool = typer.Option(False, "--print-host-commands", help="node: "
                                                 "print the sysctl commands for each host "
                                                 "instead of a privileged DaemonSet."),
        output: str = typer.Option("table", "-o", "--output", help="table, json or html (the "
                                   "results with the fix plans and outcomes)."),
        report: Optional[Path] = typer.Option(None, "--report", help="Also write an HTML report."),
        settings=None, outputs=None):
    """Fix what the checks found: show each plan as a diff, then (with --yes or a confirmation)
    journal the previous state, apply, and re-check. `--undo JOURNAL` restores it."""
    from ..fixing.options import EMAIL_POLICIES, FixOptions

    _validate(email_policy, EMAIL_POLICIES, "--email-policy")
    _validate(output, OUTPUTS, "-o")
    run_settings = settings(replaying=False)
    if undo is not None:
        raise typer.Exit(run_undo(undo, run_settings))
    options = FixOptions(default_class, email_policy, realm_wide, tuple(add_path or ()),
                         print_host_commands)
    from ..run import Selection, execute
    from ..sources.tape import Tape

    outcome = execute(run_settings, Selection(list(ids or []), keyword, markers, phase),
                      Tape("live"), values={"fix_options": options})
    code = fix_outcome(outcome, run_settings, options, yes=yes, allow_disruptive=allow_disruptive,
                       journal_path=journal, human=output == "table")
    from ..reporting.writers import render
    from .outputs import write_output_files

    write_output_files(outcome.result, outcome.registry, outputs, report)
    if output != "table":
        sys.stdout.write(render(output, outcome.result, outcome.registry))
    raise typer.Exit(code)


def fix_outcome(outcome, settings, options, yes: bool, allow_disruptive: bool,
                journal_path: Optional[Path], human: bool = True, on_applied=None) -> int:
    """The fix part of `fix` and `check --fix`: plans, confirmation, apply, re-check.

    Puts RunResult.extra["fix"]; returns the exit code (0 when nothing failing remains)."""
    from ..fixing import fixer
    from ..fixing.journal import Journal

    def echo(text: str) -> None:
        typer.echo(text, err=not human)

    try:
        fixes = fixer.gather(outcome, allow_disruptive)
    finally:
        outcome.runner.close()
    result = outcome.result
    failing = [r for r in result.counted() if r["status"] in ("fail", "error")]
    if not fixes:
        fixable = [r for r in result.counted() if r["status"] in ("fail", "warn")]
        echo("nothing to fix: " + ("no selected check fails or warns" if not fixable else
                                   f"{len(fixable)} finding(s) fail or warn but have no automatic "
                                   "fix (see kfdoctor explain ID)") + "; nothing changed")
        result.extra["fix"] = fixer.fix_summary([], None)
        return 1 if failing else 0
    fixer.preview(fixes, echo)
    todo = fixer.to_apply(fixes)
    if not todo:
        echo("no plan can be applied automatically (manual-only or needing --allow-disruptive); "
             "nothing changed")
        result.extra["fix"] = fixer.fix_summary(fixes, None)
        return 1 if failing else 0
    if not yes:
        if not sys.stdin.isatty():
            echo(f"{len(todo)} plan(s) ready; nothing changed: no terminal to ask, pass --yes to "
                 "apply them")
            result.extra["fix"] = fixer.fix_summary(fixes, None)
            return 1 if failing or todo else 0
        if not typer.confirm(f"Apply {len(todo)} plan(s)?", default=False, err=not human):
            echo("nothing changed")
            result.extra["fix"] = fixer.fix_summary(fixes, None)
            return 1 if failing or todo else 0
    journal = Journal.create(journal_path, settings.public())
    echo(f"journal: {journal.path}")
    fixer.apply(fixes, settings, journal, echo, on_applied=on_applied)
    fixer.verify(fixes, settings, options, journal, outcome.registry)
    journal.finish("done")
    echo("")
    for fix in fixes:
        echo(f"{fix.outcome:10} {fix.plan.check} on {fix.plan.resource}: {fix.reason}")
    echo(f"journal: {journal.path} (undo with: kfdoctor fix --undo {journal.path})")
    result.extra["fix"] = fixer.fix_summary(fixes, journal.path)
    unresolved = [f for f in fixes if f.outcome not in (fixer.FIXED,)
                  and not (f.outcome == fixer.UNCHANGED and "the check passes" in f.reason)]
    fixed_rows = {(f.plan.check, repr(f.plan.resource)) for f in fixes if f.outcome == fixer.FIXED}
    left = [r for r in failing if (r["check"], repr(_res(r))) not in fixed_rows]
    return 1 if unresolved or left else 0


def _res(row):
    from ..engine.model import Resource
    res = row["resource"]
    return Resource(res["kind"], res["name"], res.get("namespace"))


def run_undo(path: Path, settings) -> int:
    """Restore every before-state the journal saved; 1 when something could not be restored."""
    from ..fixing import fixer
    from ..fixing.journal import Journal

    journal = Journal.load(path)
    settings = settings.merged(journal.settings)
    typer.echo(f"undoing {path}")
    report = fixer.undo(journal, settings, typer.echo)
    if not report.restored and not report.not_restored:
        typer.echo("nothing to restore: the journal records no applied change")
        return 0
    typer.echo(f"restored {len(report.restored)} change(s)"
               + (f"; could NOT restore {len(report.not_restored)}:" if report.not_restored else ""))
    for line in report.not_restored:
        typer.echo(f"  - {line}")
    return 1 if report.not_restored else 0


def check_then_fix(outcome, settings, yes: bool, allow_disruptive: bool, output: str) -> int:
    """`kfdoctor check --fix`: the checks' report was written; now the fix run (default options)."""
    from ..fixing.options import FixOptions

    return fix_outcome(outcome, settings, FixOptions(), yes=yes, allow_disruptive=allow_disruptive,
                       journal_path=None, human=output == "table")
