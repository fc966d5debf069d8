"""Settings from the command line and secrets from the environment, a file or a prompt."""
from __future__ import annotations

import os
import sys
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


def resolve_secret(name: str, file: str | None, needed: bool, prompt: bool) -> str:
    """A secret from its file, its environment variable, or (on a terminal) a prompt."""
    variable, what = SECRETS[name]
    if file:
        return read_secret_file(file, what)
    if os.environ.get(variable):
        return os.environ[variable]
    if not needed:
        return ""
    if prompt and sys.stdin.isatty():
        import getpass
        return getpass.getpass(f"{what}: ")
    raise ConfigError(f"no {what}: set {variable} or pass a file with --{name.replace('_', '-')}"
                      "-file")


def build_settings(options: dict, secret_files: dict[str, str | None] | None = None,
                   replaying: bool = False) -> Settings:
    """Settings from the options given (None means not given) and the secrets they need."""
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in options.items() if k in known and v is not None}
    settings = Settings(**values)
    files = secret_files or {}
    settings.keycloak_password = resolve_secret(
        "keycloak_password", files.get("keycloak_password"),
        needed=bool(settings.keycloak_url) and not replaying, prompt=True)
    settings.jarvice_apikey = resolve_secret(
        "jarvice_apikey", files.get("jarvice_apikey"),
        needed=bool(settings.jarvice_url) and not replaying, prompt=True)
    settings.probe_password = resolve_secret(
        "probe_password", files.get("probe_password"),
        needed=bool(settings.probe_user) and not replaying, prompt=True)
    return settings
