"""Shared fixtures; the real servers come from the tests.servers plugins."""
import pytest

from kfdoctor.engine.plugins import load_registry

pytest_plugins = ["tests.servers.kube_fixtures", "tests.servers.auth_fixtures"]


@pytest.fixture(scope="session")
def registry():
    return load_registry()
