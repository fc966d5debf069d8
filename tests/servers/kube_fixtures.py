"""pytest plugin: a real kube-apiserver (with etcd) and the stand-in JARVICE API for the test session.

Fixtures:
- ``kube_server`` (session): a running ``KubeServer`` (``.kubeconfig``, ``.url``, ``.context``,
  ``.etcd_url``, ``.kubeconfig_for_user()``, ``.kubeconfig_for_service_account()``, ...);
- ``kube_job`` (function): ``kube_job(spec=JobSpec()) -> SeededCluster``, reset + seed on that server;
- ``jarvice_api`` (session): a running ``JarviceApi`` (``.url``, ``.username``, ``.apikey``, ``.jobs``).

A server that cannot be built or started fails the tests that need it (never a skip). Server logs
go to a session temp folder; their tails are attached to the report of every failing test that
used ``kube_server``.
"""
from __future__ import annotations

import signal
from collections.abc import Callable, Iterator

import pytest

from .jarvice import JarviceApi, start_jarvice_api
from .job import JobSpec
from .kube import KubeServer, remove_work_dir, start_kube_server
from .seed_kube import SeededCluster, reset_kube, seed_kube

_SERVER_KEY = pytest.StashKey[KubeServer]()


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """Turn SIGTERM (a CI timeout, ``timeout``) into an interrupt, so fixture teardown stops the servers."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(scope="session")
def kube_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeServer]:
    log_dir = tmp_path_factory.mktemp("kube-logs")
    try:
        server = start_kube_server(log_dir, tmp_path_factory.mktemp("kube"))
    except Exception as exc:  # noqa: BLE001 - any build or start failure must fail loudly
        pytest.fail(f"kube-apiserver/etcd did not start (logs in {log_dir}): {exc}", pytrace=False)
    request.config.stash[_SERVER_KEY] = server
    yield server
    server.stop()
    remove_work_dir(server)


@pytest.fixture
def kube_job(kube_server: KubeServer, tmp_path) -> Callable[..., SeededCluster]:
    """Reset the apiserver and seed the job of ``spec`` (healthy by default)."""
    def seed(spec: JobSpec | None = None, **kwargs) -> SeededCluster:
        reset_kube(str(kube_server.kubeconfig))
        return seed_kube(str(kube_server.kubeconfig), spec or JobSpec(), work_dir=tmp_path / "seed", **kwargs)
    return seed


@pytest.fixture(scope="session")
def jarvice_api() -> Iterator[JarviceApi]:
    api = start_jarvice_api(JobSpec())
    yield api
    api.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    server = item.config.stash.get(_SERVER_KEY, None)
    if report.failed and server is not None and "kube_server" in getattr(item, "fixturenames", ()):
        for process in server.processes:
            report.sections.append((f"{process.name} log ({process.log_path})", process.log_tail(40)))
