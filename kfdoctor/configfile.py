"""Layered configuration: command line, then KFDOCTOR_* environment, then kfdoctor.toml, then defaults.

Every option of the command line has a key in the file and an environment variable: the key is
the long flag without dashes (``--keycloak-url`` -> ``keycloak_url``, ``KFDOCTOR_KEYCLOAK_URL``).
Settings that have no flag (thresholds such as ``inotify_min_watches``) are keys too. Secrets are
never plain values in the file: only ``<secret>_file = "/path"`` references there, or the
``KFDOCTOR_<SECRET>`` (or ``KFDOCTOR_<SECRET>_FILE``) environment variables.

To make a new command option configurable, add it to COMMAND_OPTIONS; commands decorated with
``with_source_options`` then receive the file / environment value when the flag is not given.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from .config import SECRETS, read_secret_file, settings_from
from .settings import SECRET_FIELDS, Settings
from .sources.errors import ConfigError
from .suppress import Suppressions, parse as parse_suppressions

FILE_NAME = "kfdoctor.toml"
ENV_PREFIX = "KFDOCTOR_"
CONFIG_ENV = "KFDOCTOR_CONFIG"
ORIGINS = ("default", "file", "env", "cli")


@dataclass(frozen=True)
class Option:
    key: str                       # the key in kfdoctor.toml; KFDOCTOR_<KEY> in the environment
    type: type                     # str, int, float, bool or Path
    default: Any = None
    setting: str | None = None     # the Settings field it sets (None: a command's own option)
    help: str = ""

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.key.upper()


# Settings fields whose key differs from the field name (the key is the flag's name).
SETTING_KEYS = {"check_timeout": "timeout"}

# The options of commands (not Settings) that the file and the environment may set too.
COMMAND_OPTIONS = (
    Option("phase", str, "all", help="pre-launch, post-launch or all"),
    Option("keyword", str, None, help="-k expression over check ids"),
    Option("markers", str, None, help="-m expression over tags"),
    Option("output", str, "table", help="-o: the format on stdout"),
    Option("report", Path, None, help="also write the HTML report to this file"),
    Option("json", Path, None, help="also write the JSON results to this file"),
    Option("junit", Path, None, help="also write JUnit XML to this file"),
    Option("markdown", Path, None, help="also write Markdown to this file"),
    Option("prometheus", Path, None, help="also write Prometheus text to this file"),
    Option("fail_on", str, "fail", help="warn or fail: what makes the exit code 1"),
    Option("no_suppress", bool, False, help="ignore every [[suppress]] entry"),
)


def _field_type(annotation: Any) -> type:
    parts = [p.strip() for p in str(annotation).split("|") if p.strip() != "None"]
    return {"bool": bool, "int": int, "float": float}.get(parts[0] if parts else "", str)


def _setting_options() -> tuple[Option, ...]:
    options = []
    for f in fields(Settings):
        if f.name in SECRET_FIELDS or f.name == "suppressions":
            continue
        options.append(Option(SETTING_KEYS.get(f.name, f.name), _field_type(f.type), f.default,
                              f.name))
    return tuple(options)


SECRET_OPTIONS = {f"{name}_file": name for name in SECRETS}   # key -> secret
OPTIONS: dict[str, Option] = {o.key: o for o in (*_setting_options(), *COMMAND_OPTIONS)}
OPTIONS.update({key: Option(key, Path, None, help=f"file holding the {SECRETS[s][1]}")
                for key, s in SECRET_OPTIONS.items()})
FILE_ONLY_KEYS = ("suppress",)


# -- values ------------------------------------------------------------------------------------
def convert(option: Option, value: Any, where: str) -> Any:
    """``value`` (from TOML, or a string from the environment) as the option's type."""
    kind = option.type
    from_env = isinstance(value, str) and where.startswith("$")
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if from_env and value.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if from_env and value.strip().lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError
        if kind is int:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, int) or from_env:
                return int(value)
            raise ValueError
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, (int, float)) or from_env:
                return float(value)
            raise ValueError
        if not isinstance(value, str):
            raise ValueError
        return Path(value) if kind is Path else value
    except ValueError:
        expected = {bool: "a boolean (true or false)", int: "an integer", float: "a number",
                    Path: "a file path (a string)", str: "a string"}[kind]
        raise ConfigError(f"{where}: {option.key} must be {expected}, not {value!r}") from None


def read_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"config file {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None


def find_config(given: str | Path | None, env: Mapping[str, str]) -> Path | None:
    """--config FILE, else $KFDOCTOR_CONFIG, else ./kfdoctor.toml when it exists."""
    if given:
        path = Path(given)
        if not path.is_file():
            raise ConfigError(f"--config {path}: no such file")
        return path
    if env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
        if not path.is_file():
            raise ConfigError(f"${CONFIG_ENV} {path}: no such file")
        return path
    local = Path(FILE_NAME)
    return local if local.is_file() else None


def load_file(path: Path) -> tuple[dict[str, Any], Suppressions]:
    """The options of a config file (typed) and its suppressions; ConfigError on any mistake."""
    from .engine.registry import suggest

    data = read_toml(path)
    where = str(path)
    values = {}
    for key, value in data.items():
        if key in SECRETS:
            variable = SECRETS[key][0]
            raise ConfigError(f"{where}: {key} may not be written in the config file; use "
                              f"{key}_file = \"/path/to/file\" or set ${variable}")
        if key in FILE_ONLY_KEYS:
            continue
        option = OPTIONS.get(key)
        if option is None:
            raise ConfigError(f"{where}: unknown key {key!r}"
                              f"{suggest(key, [*OPTIONS, *FILE_ONLY_KEYS])}")
        values[key] = convert(option, value, where)
    return values, parse_suppressions(data.get("suppress"), where)


def env_values(env: Mapping[str, str]) -> dict[str, Any]:
    return {o.key: convert(o, env[o.env], f"${o.env}") for o in OPTIONS.values() if o.env in env}


# -- the effective configuration ------------------------------------------------------------------
@dataclass
class Effective:
    """Every option's value and where it came from, the secrets' sources, the suppressions."""
    values: dict[str, Any]
    origins: dict[str, str]
    path: Path | None = None
    suppressions: Suppressions = field(default_factory=Suppressions)
    secrets: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (origin, file)
    env: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key, OPTIONS[key].default if key in OPTIONS else None)

    def settings(self, replaying: bool = False) -> Settings:
        """The run's Settings (secrets resolved) with the suppressions unless --no-suppress."""
        options = {o.setting: self.values[k] for k, o in OPTIONS.items()
                   if o.setting and k in self.values}
        settings = settings_from(options)     # secrets below
        needs = {"keycloak_password": settings.keycloak_url, "jarvice_apikey": settings.jarvice_url,
                 "probe_password": settings.probe_user}
        for name in SECRETS:
            setattr(settings, name, self._secret(name, bool(needs.get(name)) and not replaying))
        settings.suppressions = Suppressions((), self.suppressions.origin) \
            if self.get("no_suppress") else self.suppressions
        return settings

    def _secret(self, name: str, needed: bool) -> str:
        """A secret from its file reference, its variable, or (on a terminal) a prompt."""
        variable, what = SECRETS[name]
        origin, file = self.secrets.get(name, ("default", None))
        if file:
            return read_secret_file(file, what)
        if self.env.get(variable):
            return self.env[variable]
        if not needed:
            return ""
        if sys.stdin.isatty():
            import getpass
            return getpass.getpass(f"{what}: ")
        raise ConfigError(f"no {what}: set ${variable}, or {name}_file in kfdoctor.toml, or "
                          f"--{name.replace('_', '-')}-file")

    def rows(self) -> list[dict]:
        """One row per option: key, value (secrets masked), origin."""
        rows = []
        for key, option in OPTIONS.items():
            if key in SECRET_OPTIONS:
                continue
            rows.append({"key": key, "value": _plain(self.get(key)), "origin": self.origins[key],
                         "env": option.env})
        for name, (origin, file) in self.secrets.items():
            variable = SECRETS[name][0]
            set_ = origin != "default"
            detail = f"file {file}" if file else (f"${variable}" if set_ else "not set")
            rows.append({"key": name, "value": "********" if set_ else None, "origin": origin,
                         "env": variable, "secret": True, "from": detail})
        return rows


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def resolve(cli: Mapping[str, Any], config: str | Path | None = None,
            env: Mapping[str, str] | None = None) -> Effective:
    """The effective configuration; ``cli`` holds only the options given on the command line."""
    env = os.environ if env is None else env
    path = find_config(config, env)
    file_values, suppressions = load_file(path) if path else ({}, Suppressions())
    environment = env_values(env)
    values, origins = {}, {}
    for key, option in OPTIONS.items():
        for origin, layer in (("cli", cli), ("env", environment), ("file", file_values)):
            if key in layer and layer[key] is not None:
                values[key], origins[key] = layer[key], origin
                break
        else:
            origins[key] = "default"
    secrets = {}
    for key, name in SECRET_OPTIONS.items():
        variable = SECRETS[name][0]
        if origins[key] == "cli":
            secrets[name] = ("cli", str(values[key]))
        elif env.get(variable):
            secrets[name] = ("env", None)
        elif origins[key] in ("env", "file"):
            secrets[name] = (origins[key], str(values[key]))
        else:
            secrets[name] = ("default", None)
    return Effective(values, origins, path, suppressions, secrets, env)
