"""Shared fixtures; the real servers come from the tests.servers plugins."""
import pytest

from kfdoctor.engine.plugins import load_registry


@pytest.fixture(scope="session")
def registry():
    return load_registry()
