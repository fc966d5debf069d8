"""Settings from option values, and the secrets' names and files (never plain values)."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from .settings import Settings
from .sources.errors import ConfigError

SECRETS = {  # setting -> (environment variable, what it is)
    "keycloak_password": ("KFDOCTOR_KEYCLOAK_PASSWORD", "Keycloak admin password"),
    "jarvice_apikey": ("KFDOCTOR_JARVICE_APIKEY", "JARVICE API key"),
    "probe_password": ("KFDOCTOR_PROBE_PASSWORD", "probe user's password"),
}


def read_secret_file(path: str, what: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise ConfigError(f"{what} file {path}: {error.strerror or error}") from None


def settings_from(options: dict) -> Settings:
    """Settings from the options given (None means not given); secrets are resolved elsewhere."""
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in options.items() if k in known and v is not None})
