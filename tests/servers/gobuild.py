"""Build a Go command from the Go module proxy through a generated wrapper module.

A wrapper module (``go.mod`` + a ``tool`` directive) lets ``go build`` compile a main package of a
module whose own go.mod has ``replace`` directives, which ``go install pkg@version`` refuses.
The module lives in the cache folder, never in the repository; the Go module and build caches
(``go env GOMODCACHE GOCACHE``) make a rebuild cheap.
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

GO_ENV = {"CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}


class BuildFailed(RuntimeError):
    """A go command failed; the message holds the command and its output tail."""


def go(args: Sequence[str], cwd: Path, log: Path) -> str:
    """Run ``go ARGS`` in ``cwd``, append its output to ``log``, return stdout; raise BuildFailed."""
    cmd = ["go", *args]
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.run(cmd, cwd=cwd, env={**os.environ, **GO_ENV}, stdout=subprocess.PIPE,
                              stderr=out, text=True, check=False)
        out.write(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise BuildFailed(f"go {' '.join(args)} failed ({proc.returncode}) in {cwd}:\n{tail}")
    return proc.stdout


def module_gomod(module: str, version: str, cwd: Path, log: Path) -> str:
    """The go.mod text that the module proxy serves for ``module@version``."""
    info = json.loads(go(["mod", "download", "-json", f"{module}@{version}"], cwd, log))
    return Path(info["GoMod"]).read_text()


@contextmanager
def build_lock(directory: Path) -> Iterator[None]:
    """Serialise builds of one artefact across processes (pytest-xdist workers, CI steps)."""
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_tool(workdir: Path, output: Path, package: str, requires: dict[str, str],
               replaces: dict[str, str] | None = None, tags: str = "", ldflags: str = "-s -w") -> float:
    """Generate a wrapper module in ``workdir`` and build ``package`` into ``output``; return seconds."""
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "build.log"
    (workdir / "go.mod").write_text("module kfdoctor.local/wrapper\n\ngo 1.26\n")
    (workdir / "go.sum").unlink(missing_ok=True)
    edits = [f"-require={mod}@{ver}" for mod, ver in requires.items()]
    edits += [f"-replace={mod}={mod}@{ver}" for mod, ver in (replaces or {}).items()]
    go(["mod", "edit", *edits, f"-tool={package}"], workdir, log)
    go(["mod", "tidy"], workdir, log)
    partial = output.with_name(output.name + ".partial")
    go(["build", "-trimpath", *(["-tags", tags] if tags else []), "-ldflags", ldflags,
        "-o", str(partial), package], workdir, log)
    partial.replace(output)
    return time.monotonic() - started
