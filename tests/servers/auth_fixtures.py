"""pytest plugin: Keycloak, oauth2-proxy and Envoy for the test session.

Fixtures:
- ``keycloak_server`` (session): a running ``KeycloakServer`` (``.url``, ``.admin_user``,
  ``.admin_password``); no job realm seeded yet;
- ``auth_servers`` (session): ``AuthServers`` for the healthy ``JobSpec()`` (Keycloak seeded,
  dashboard, oauth2-proxy, Envoy at ``.envoy_url``);
- ``auth_faults`` (function): ``auth_faults(*faults, **spec_fields) -> AuthServers`` re-seeds with
  those faults; the healthy realm is restored after the test.

A server that cannot be obtained or started fails the tests that need it (never a skip). Logs go
to a session temp folder; their tails are attached to the report of every failing test that used
these fixtures.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from .auth import AuthServers, start_auth_servers
from .job import JobSpec
from .keycloak import KeycloakServer, start_keycloak

_PROCESSES_KEY = pytest.StashKey[list]()
_FIXTURES = {"keycloak_server", "auth_servers", "auth_faults"}


def _remember(config: pytest.Config, *processes) -> None:
    config.stash.setdefault(_PROCESSES_KEY, []).extend(processes)


@pytest.fixture(scope="session")
def keycloak_server(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeycloakServer]:
    log_dir = tmp_path_factory.mktemp("keycloak-logs")
    try:
        server = start_keycloak(log_dir)
    except Exception as exc:  # noqa: BLE001 - any provisioning or start failure must fail loudly
        pytest.fail(f"Keycloak did not start (logs in {log_dir}): {exc}", pytrace=False)
    _remember(request.config, server.process)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def auth_servers(request: pytest.FixtureRequest, keycloak_server: KeycloakServer,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServers]:
    log_dir = tmp_path_factory.mktemp("auth-logs")
    try:
        servers = start_auth_servers(log_dir, JobSpec(), keycloak=keycloak_server)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"auth chain did not start (logs in {log_dir}): {exc}", pytrace=False)
    _remember(request.config, servers.oauth2_proxy, servers.envoy)
    yield servers
    servers.stop()


@pytest.fixture
def auth_faults(request: pytest.FixtureRequest, auth_servers: AuthServers) -> Iterator[Callable[..., AuthServers]]:
    """Re-seed the chain with ``faults`` (names from faults.py); healthy again afterwards."""
    healthy = auth_servers.spec

    def reseed(*faults: str, **spec_fields) -> AuthServers:
        auth_servers.reseed(JobSpec(faults=frozenset(faults), **spec_fields))
        _remember(request.config, auth_servers.oauth2_proxy, auth_servers.envoy)
        return auth_servers

    yield reseed
    if auth_servers.spec != healthy:
        auth_servers.reseed(healthy)
        _remember(request.config, auth_servers.oauth2_proxy, auth_servers.envoy)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or not _FIXTURES & set(getattr(item, "fixturenames", ())):
        return
    seen = set()
    for process in item.config.stash.get(_PROCESSES_KEY, []):
        if process.log_path not in seen:
            seen.add(process.log_path)
            report.sections.append((f"{process.name} log ({process.log_path})", process.log_tail(40)))
