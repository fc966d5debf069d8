"""Progress on stderr only on a terminal (never piped, never with -o json); shell completion."""
import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from kfdoctor.cli.progress import RunProgress, wanted
from kfdoctor.sources.tape import Tape
from tests.unit.test_config_file import CHECK, kfdoctor, recording


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_wanted_only_for_the_table_on_terminals():
    tty, pipe = FakeTty(), io.StringIO()
    assert wanted("table", tty, tty)
    assert not wanted("json", tty, tty)
    assert not wanted("table", pipe, tty) and not wanted("table", tty, pipe)


def test_progress_reports_reads_and_checks():
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    tape = Tape("live")
    with RunProgress(True, console) as progress:
        progress.watch(tape)
        assert tape.read("kube", "list", {"kind": "Pod"}, lambda: [1]) == [1]
        progress.on_progress(1, 2, "storage_a")
        progress.on_progress(2, 2, "storage_b")
        progress._progress.refresh()
        text = out.getvalue()
    assert "checks" in text and "2/2" in text
    assert "read" not in vars(tape)            # the tape is given back untouched


def test_disabled_progress_does_nothing():
    tape = Tape("live")
    with RunProgress(False) as progress:
        progress.watch(tape)
        progress.on_progress(1, 1, "x")
    assert "read" not in vars(tape)


def run_on_a_terminal(args, cwd):
    """Run kfdoctor with stdout and stderr on a pseudo-terminal; returns what it printed."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR_")}
    env.update(COLUMNS="120", TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "kfdoctor", *args], stdout=slave,
                            stderr=slave, stdin=subprocess.DEVNULL, cwd=cwd, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal(tmp_path):
    code, text = run_on_a_terminal(["check", "--from", str(recording(tmp_path))], tmp_path)
    assert code == 1
    assert "checks" in text and "sources read" in text


def test_no_progress_when_piped_or_json(tmp_path):
    rec = str(recording(tmp_path))
    piped = kfdoctor("check", "--from", rec, cwd=tmp_path)
    assert "sources read" not in piped.stderr and "checks:" not in piped.stderr
    assert piped.stderr == ""
    code, text = run_on_a_terminal(["check", CHECK, "--from", rec, "-o", "json"], tmp_path)
    assert "sources read" not in text and "checks:" not in text and '"schema"' in text


@pytest.mark.parametrize("shell,written,rc_file,rc_line", [
    ("/bin/bash", ".bash_completions/kfdoctor.sh", ".bashrc", "source"),
    ("/bin/zsh", ".zfunc/_kfdoctor", ".zshrc", "fpath+=~/.zfunc"),
])
def test_install_completion(tmp_path, shell, written, rc_file, rc_line):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR_")}
    env.update(SHELL=shell, HOME=str(tmp_path))
    # as the installed `kfdoctor` script runs (the program name names the completion files)
    launcher = "import sys; sys.argv[0] = 'kfdoctor'; from kfdoctor.cli.main import run; run()"
    proc = subprocess.run([sys.executable, "-c", launcher, "--install-completion"], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    script = (tmp_path / written).read_text()
    assert "_KFDOCTOR_COMPLETE" in script and "kfdoctor" in proc.stdout
    assert rc_line in (tmp_path / rc_file).read_text()
