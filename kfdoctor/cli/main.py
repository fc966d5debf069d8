"""kfdoctor's command line. Heavy clients (kubernetes, keycloak) are imported only when used."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import USAGE, fail_line, handle_errors
from .outputs import STDOUT_FORMATS, with_output_files, write_output_files
from .source_options import with_source_options

app = typer.Typer(name="kfdoctor", no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="Diagnose and repair Kubeflow deployed as the JARVICE Kubeflow application.")

FAIL_ON = ("warn", "fail")
IDS = typer.Argument(None, help="Check ids to run (default: every check of the phase).")


def _registry():
    from ..engine.plugins import load_registry
    return load_registry()


def exit_code(result, fail_on: str) -> int:
    """1 when a finding that is not suppressed is at or above --fail-on, else 0."""
    levels = {"fail": {"fail", "error"}, "warn": {"fail", "error", "warn"}}[fail_on]
    return 1 if any(r["status"] in levels for r in result.counted()) else 0


def write_outputs(result, registry, output: str, report: Optional[Path], outputs=None) -> None:
    """Results on stdout in the chosen format; the HTML report and other files to theirs."""
    from ..reporting.terminal import write_table
    from ..reporting.writers import render

    write_output_files(result, registry, outputs, report)
    if output == "table":
        write_table(result, sys.stdout)
    else:
        sys.stdout.write(render(output, result, registry))


def _validate_choice(value: str, choices, option: str) -> None:
    if value not in choices:
        from ..sources.errors import ConfigError
        raise ConfigError(f"{option} must be one of {', '.join(choices)}, not {value!r}")


@app.command()
@handle_errors
@with_source_options
@with_output_files
def check(ids: Optional[List[str]] = IDS,
          phase: str = typer.Option("all", "--phase", help="pre-launch, post-launch or all."),
          keyword: Optional[str] = typer.Option(None, "-k", help="Expression over check ids."),
          markers: Optional[str] = typer.Option(None, "-m", help="Expression over tags."),
          from_: Optional[Path] = typer.Option(None, "--from", help="Replay a recording or bundle."),
          record: Optional[Path] = typer.Option(None, "--record", help="Record every read into DIR."),
          output: str = typer.Option("table", "-o", "--output", help="table, json, html, junit, markdown or prometheus."),
          report: Optional[Path] = typer.Option(None, "--report", help="Also write an HTML report."),
          fail_on: str = typer.Option("fail", "--fail-on", help="warn or fail."),
          fix: bool = typer.Option(False, "--fix", help="Then fix what is fixable (as kfdoctor fix; asks first)."),
          yes: bool = typer.Option(False, "--yes", "-y", help="With --fix: apply without asking."),
          allow_disruptive: bool = typer.Option(False, "--allow-disruptive", help="With --fix: also apply disruptive plans."),
          settings=None, outputs=None):
    """Run the checks and report their findings."""
    from ..bundle.redact import Redactor
    from ..run import Selection, execute
    from ..sources.tape import Tape
    from .progress import RunProgress

    _validate_choice(fail_on, FAIL_ON, "--fail-on")
    _validate_choice(output, STDOUT_FORMATS, "-o")
    if from_ and record:
        _validate_choice("both", ("one",), "--from and --record")
    if from_:
        tape = Tape.load(from_)
        run_settings = settings(replaying=True).merged(tape.manifest.get("settings", {}))
    else:
        run_settings = settings(replaying=False)
        tape = Tape("record", redact=Redactor.for_settings(run_settings)) if record else Tape("live")
    with RunProgress.for_output(output) as progress:   # stderr, on a terminal only
        progress.watch(tape)
        outcome = execute(run_settings, Selection(list(ids or []), keyword, markers, phase), tape,
                          origin=str(from_) if from_ else None, on_progress=progress.on_progress)
    outcome.runner.close()
    if record:
        tape.save(record, {"settings": tape.redact.data(run_settings.public())})
        typer.echo(f"recording written to {record}", err=True)
    write_outputs(outcome.result, outcome.registry, output, report, outputs)
    for problem in outcome.bad_input:
        raise fail_line(problem, USAGE)
    if fix and not from_:
        from .fix import check_then_fix
        raise typer.Exit(check_then_fix(outcome, run_settings, yes, allow_disruptive, output))
    raise typer.Exit(exit_code(outcome.result, fail_on))


@app.command("list")
@handle_errors
def list_checks(output: str = typer.Option("table", "-o", "--output", help="table or json.")):
    """List every check with its phase, severity, tags and whether it can be fixed."""
    _validate_choice(output, ("table", "json"), "-o")
    registry = _registry()
    rows = [{"id": c.id, "title": c.title, "area": c.area, "phases": list(c.phases),
             "severity": c.severity.value, "tags": sorted(c.tags),
             "fixable": c.id in registry.remediations}
            for c in sorted(registry.checks.values(), key=lambda c: (c.area, c.id))]
    if output == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:40} {','.join(row['phases']):24} {row['severity']:9} "
                   f"{'fixable' if row['fixable'] else '-':8} {row['title']}")


@app.command()
@handle_errors
def explain(check_id: str = typer.Argument(..., help="A check id, as `kfdoctor list` shows.")):
    """Show a check's documentation: why it matters and the manual fix."""
    from ..engine.registry import suggest
    from ..sources.errors import ConfigError

    registry = _registry()
    spec = registry.checks.get(check_id)
    if spec is None:
        raise ConfigError(f"unknown check id {check_id!r}{suggest(check_id, registry.checks)}")
    typer.echo(f"{spec.id}  ({', '.join(spec.phases)}, severity {spec.severity.value}, tags "
               f"{', '.join(sorted(spec.tags)) or '-'})\n")
    typer.echo(spec.doc)
    fix = registry.remediations.get(check_id)
    typer.echo(f"\n## kfdoctor fix\n{fix.doc if fix else 'No automatic fix: follow the manual fix.'}"
               + (f"\n(risk: {fix.risk})" if fix else ""))


@app.command()
@handle_errors
def demo(report: Path = typer.Option(Path("kfdoctor-report.html"), "--report",
                                     help="Where to write the HTML report.")):
    """Diagnose a recorded broken JARVICE Kubeflow job shipped with kfdoctor."""
    from importlib.resources import files

    from ..run import Selection, execute
    from ..settings import Settings
    from ..sources.tape import Tape

    recording = Path(str(files("kfdoctor.examples") / "broken-job"))
    tape = Tape.load(recording)
    settings = Settings().merged(tape.manifest.get("settings", {}))
    outcome = execute(settings, Selection(), tape, origin="examples/broken-job")
    outcome.runner.close()
    write_outputs(outcome.result, outcome.registry, "table", report)
    raise typer.Exit(exit_code(outcome.result, "fail"))


from .report import report as _report  # noqa: E402
from .bundle import bundle as _bundle  # noqa: E402

app.command("report")(_report)
app.command("bundle")(_bundle)


from .config_cmd import config_app  # noqa: E402
from .rbac import rbac  # noqa: E402

app.add_typer(config_app, name="config")
app.command("rbac")(rbac)
from .fix import fix as _fix  # noqa: E402
app.command("fix")(_fix)


def run() -> None:
    from .completion import prefer_login_shell

    prefer_login_shell(sys.argv)   # --install-completion: the shell of $SHELL
    try:
        app()
    except BrokenPipeError:        # `kfdoctor ... | head`: the reader left, that is fine
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
