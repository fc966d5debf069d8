"""kube-apiserver built from the Go module proxy (test-servers.md §2).

``go install k8s.io/kubernetes/cmd/kube-apiserver@v1.36.3`` fails: k8s.io/kubernetes's go.mod
requires its staging modules at ``v0.0.0`` and replaces them with ``./staging/...``. The wrapper
module requires k8s.io/kubernetes and replaces every staging module with its published
``v0.<minor>.<patch>`` tag; the list of staging modules is read from the go.mod the proxy serves.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .cache import cached
from .gobuild import build_lock, build_tool, module_gomod

KUBE_VERSION = "v1.36.3"
PACKAGE = "k8s.io/kubernetes/cmd/kube-apiserver"
_STAGING = re.compile(r"^\s*(k8s\.io/[A-Za-z0-9._-]+)\s+=>\s+\./staging/", re.MULTILINE)
_VERSION_VARS = ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")


def staging_modules(kube_gomod: str) -> list[str]:
    """The modules that k8s.io/kubernetes's go.mod replaces with a ./staging directory."""
    return sorted(set(_STAGING.findall(kube_gomod)))


def _ldflags(version: str) -> str:
    minor = version.split(".")[1]
    flags = ["-s", "-w"]
    for pkg in _VERSION_VARS:
        flags += [f"-X {pkg}.gitVersion={version}", f"-X {pkg}.gitMajor=1", f"-X {pkg}.gitMinor={minor}",
                  f"-X {pkg}.gitTreeState=clean", f"-X {pkg}.buildDate=1970-01-01T00:00:00Z"]
    return " ".join(flags)


def kube_apiserver_path(version: str = KUBE_VERSION) -> Path:
    return cached(f"kube-apiserver-{version}") / "kube-apiserver"


def ensure_kube_apiserver(version: str = KUBE_VERSION) -> Path:
    """The cached kube-apiserver binary, built first if it is missing."""
    binary = kube_apiserver_path(version)
    with build_lock(binary.parent):
        if binary.exists():
            return binary
        workdir = binary.parent / "module"
        workdir.mkdir(exist_ok=True)
        staging_version = "v0." + version.removeprefix("v1.")
        kube_gomod = module_gomod("k8s.io/kubernetes", version, workdir, workdir / "build.log")
        replaces = {module: staging_version for module in staging_modules(kube_gomod)}
        build_tool(workdir, binary, PACKAGE, {"k8s.io/kubernetes": version}, replaces,
                   tags="selinux,notest", ldflags=_ldflags(version))
    return binary


def binary_version(binary: Path) -> str:
    """``kube-apiserver --version`` output, e.g. ``Kubernetes v1.36.3``."""
    return subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout.strip()
