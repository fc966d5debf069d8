"""The command line: listing, explaining, output formats, exit codes, and bad input."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from kfdoctor.engine.results import SCHEMA
from kfdoctor.testing import tape_from_case

CASES = Path(__file__).resolve().parents[1] / "checks" / "cases"


def kfdoctor(*args, env=None, timeout=60):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "kfdoctor", *args], capture_output=True,
                          text=True, env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)


def assert_one_clear_line(proc, code, *parts):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    for part in parts:
        assert part in proc.stderr, proc.stderr


def recording_of(tmp_path, case_name, check="storage_default_class_unique"):
    spec = yaml.safe_load((CASES / f"{check}.yaml").read_text())
    case = next(c for c in spec["cases"] if c["name"] == case_name)
    tape = tape_from_case(case)
    folder = tmp_path / "recording"
    tape.save(folder, {"settings": {}})
    return folder


def test_list_shows_every_check_with_its_metadata():
    proc = kfdoctor("list", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    row = rows["storage_default_class_unique"]
    assert row["title"] == "Exactly one StorageClass is the cluster default."
    assert row["phases"] == ["pre-launch"] and row["severity"] == "high"
    assert row["tags"] == ["storage"] and isinstance(row["fixable"], bool)
    table = kfdoctor("list")
    assert "storage_default_class_unique" in table.stdout


def test_explain_renders_the_docstring():
    proc = kfdoctor("explain", "storage_default_class_unique")
    assert proc.returncode == 0
    assert "## Why it matters" in proc.stdout and "## Manual fix" in proc.stdout


@pytest.mark.parametrize("args", [["explain", "storage_default_clas"],
                                  ["check", "storage_default_clas", "--from", "."]])
def test_unknown_check_ids_are_usage_errors_with_close_matches(args, tmp_path):
    if "--from" in args:
        args[-1] = str(recording_of(tmp_path, "no default class"))
    assert_one_clear_line(kfdoctor(*args), 2, "unknown check id", "storage_default_class_unique")


def test_unknown_option_is_a_usage_error():
    assert_one_clear_line(kfdoctor("check", "--bogus"), 2, "No such option")


def test_json_output_is_exactly_the_schema_and_exit_code_follows_fail_on(tmp_path):
    failing = recording_of(tmp_path, "no default class")
    proc = kfdoctor("check", "storage_default_class_unique", "--from", str(failing), "-o", "json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)  # nothing else on stdout
    assert data["schema"] == SCHEMA
    assert set(data) >= {"kfdoctor_version", "phase", "started_at", "duration_s", "source",
                         "summary", "results"}
    assert data["source"]["mode"] == "bundle"
    (row,) = data["results"]
    assert set(row) == {"check", "title", "area", "severity", "status", "resource", "message",
                        "evidence", "cause", "fixable", "suppressed", "duration_s"}
    assert row["status"] == "fail" and row["resource"]["kind"] == "StorageClass"
    assert data["summary"]["fail"] == 1


def test_warnings_fail_only_with_fail_on_warn(tmp_path):
    warning = recording_of(tmp_path, "two default classes (old beta annotation counts too)")
    assert kfdoctor("check", "storage_default_class_unique", "--from", str(warning), "-o", "json").returncode == 0
    assert kfdoctor("check", "storage_default_class_unique", "--from", str(warning), "--fail-on", "warn").returncode == 1
    assert_one_clear_line(kfdoctor("check", "storage_default_class_unique", "--from", str(warning), "--fail-on", "never"), 2,
                          "--fail-on must be one of")


def test_plain_text_when_piped_and_report_renders_a_saved_run(tmp_path):
    failing = recording_of(tmp_path, "no default class")
    proc = kfdoctor("check", "storage_default_class_unique", "--from", str(failing))
    assert proc.stdout.startswith("FAIL  storage_default_class_unique")
    assert "\x1b[" not in proc.stdout  # no terminal styling when piped
    results = tmp_path / "results.json"
    results.write_text(kfdoctor("check", "storage_default_class_unique", "--from", str(failing), "-o", "json").stdout)
    html = tmp_path / "report.html"
    proc = kfdoctor("report", str(results), "-o", str(html))
    assert proc.returncode == 0, proc.stderr
    assert "no default StorageClass" in html.read_text()


def test_report_refuses_a_file_that_is_not_results(tmp_path):
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}')
    assert_one_clear_line(kfdoctor("report", str(bogus), "-o", str(tmp_path / "r.html")), 2,
                          "not a kfdoctor results file")


# -- bad input: one clear line on stderr, exit 2, never a traceback -----------------------------

def test_no_kubeconfig(tmp_path):
    proc = kfdoctor("check", "storage_default_class_unique", env={"HOME": str(tmp_path),
                                                                  "KUBECONFIG": ""})
    assert_one_clear_line(proc, 2, "no kubeconfig")


def test_missing_kubeconfig_file(tmp_path):
    proc = kfdoctor("check", "--kubeconfig", str(tmp_path / "nope"))
    assert_one_clear_line(proc, 2, "no kubeconfig", "does not exist")


def test_malformed_kubeconfig(tmp_path):
    bad = tmp_path / "kubeconfig"
    bad.write_text("clusters: [\n")
    assert_one_clear_line(kfdoctor("check", "--kubeconfig", str(bad)), 2, "malformed")


def kubeconfig_for(tmp_path, server):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "test", "context": {"cluster": "c", "user": "u"}}]}))
    return path


def test_unknown_context(tmp_path):
    proc = kfdoctor("check", "--kubeconfig", str(kubeconfig_for(tmp_path, "https://127.0.0.1:1")),
                    "--context", "production")
    assert_one_clear_line(proc, 2, "production")


def test_api_server_refusing_connections(tmp_path):
    proc = kfdoctor("check", "--kubeconfig", str(kubeconfig_for(tmp_path, "https://127.0.0.1:1")))
    assert_one_clear_line(proc, 2, "Kubernetes API server", "unreachable")


def test_api_server_that_never_answers_is_reported_within_the_timeout(tmp_path):
    with socket.socket() as silent:  # accepts TCP connections, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        server = f"https://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        proc = kfdoctor("check", "--kubeconfig", str(kubeconfig_for(tmp_path, server)))
        elapsed = time.monotonic() - started
    assert_one_clear_line(proc, 2, "unreachable")
    assert elapsed < 20, f"took {elapsed:.1f}s: the connect timeout did not bound it"


def test_keycloak_unreachable():
    proc = kfdoctor("check", "keycloak_realm_access", "--keycloak-url", "http://127.0.0.1:1",
                    "--realm", "jdoe", env={"KFDOCTOR_KEYCLOAK_PASSWORD": "x"})
    assert_one_clear_line(proc, 2, "Keycloak http://127.0.0.1:1 is unreachable")


def test_keycloak_password_is_required_without_a_terminal():
    proc = kfdoctor("check", "--keycloak-url", "http://127.0.0.1:1", "--realm", "jdoe")
    assert_one_clear_line(proc, 2, "KFDOCTOR_KEYCLOAK_PASSWORD")


@pytest.mark.parametrize("make", ["missing", "empty-dir", "not-json", "wrong-kind"])
def test_from_a_path_that_is_not_a_recording(tmp_path, make):
    target = tmp_path / "rec"
    if make != "missing":
        target.mkdir()
    if make == "not-json":
        (target / "manifest.json").write_text("{nope")
        (target / "reads.json").write_text("[]")
    if make == "wrong-kind":
        (target / "manifest.json").write_text('{"kind": "something-else"}')
        (target / "reads.json").write_text("[]")
    assert_one_clear_line(kfdoctor("check", "--from", str(target)), 2, "--from")


def test_malformed_appdef_gives_line_and_column_and_exit_2(tmp_path):
    appdef = tmp_path / "appdef.json"
    appdef.write_text('{\n  "name": "Kubeflow",\n  "commands": {,}\n}\n')
    proc = kfdoctor("check", "jarvice_appdef_valid", "--appdef", str(appdef), "-o", "json")
    assert_one_clear_line(proc, 2, "invalid JSON at line 3, column 16")
    assert len(proc.stderr.strip().splitlines()) == 1
    (row,) = json.loads(proc.stdout)["results"]  # the run still completes and reports it
    assert row["status"] == "fail" and "line 3, column 16" in row["message"]


def test_a_rich_table_on_a_terminal(tmp_path):
    import pty
    failing = recording_of(tmp_path, "no default class")
    pid, fd = pty.fork()
    if pid == 0:  # the child runs kfdoctor with a terminal as stdout
        os.environ["COLUMNS"] = "160"
        os.execv(sys.executable, [sys.executable, "-m", "kfdoctor", "check",
                                  "storage_default_class_unique", "--from", str(failing)])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 1
    assert "┃" in text or "│" in text, text          # a rich table, not plain lines
    assert "no default StorageClass" in text


def test_explain_every_check_prints_why_it_matters_and_the_manual_fix(registry):
    from typer.testing import CliRunner

    from kfdoctor.cli.main import app

    runner = CliRunner()
    for check_id, spec in registry.checks.items():
        result = runner.invoke(app, ["explain", check_id])
        assert result.exit_code == 0, (check_id, result.output)
        assert "## Why it matters" in result.output and "## Manual fix" in result.output, check_id
        assert spec.section("Manual fix").splitlines()[0] in result.output
        fix = registry.remediations.get(check_id)
        assert (fix.doc.splitlines()[0] if fix else "No automatic fix") in result.output, check_id
