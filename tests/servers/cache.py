"""Where provisioned servers are cached, outside the repository."""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The cache folder: $KFDOCTOR_TEST_SERVERS_CACHE, else ~/.cache/kfdoctor-test-servers."""
    configured = os.environ.get("KFDOCTOR_TEST_SERVERS_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "kfdoctor-test-servers"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cached(name: str) -> Path:
    """The folder of one cached artefact (created on demand)."""
    path = cache_root() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
