"""What the AppDef of the JARVICE Kubeflow application says, in one place.

The AppDef is JSON (domain-facts §9.2). The KNS object that describes the nested cluster sits in a
command and is spelled two ways: ``nestedkubernetes`` (admin guide ch. 6, jardoc ``docs/appdef.md``)
and ``nested_kubernetes`` (the 2025-04 KNS tutorial); both are read. Inside it:

- ``kubernetes_version`` (e.g. ``"v1.27"``);
- ``enable_gotty_shell``: ``"true"`` (a string in the guide) enables the GoTTY shell, served on the
  job's own host at ``/gotty-shell`` (guide ch. 6: ``https://<job-name>.<cluster-domain>/gotty-shell``);
- ``templates``: the Kubeflow components, ``{name, type, path}`` each. The AppDef *keeps* the
  privileged ``sysctl-config`` app while a template named ``sysctl-config`` (or whose path ends in
  ``/sysctl-config``) is in this list; the guide's opt-out (ch. 2.1) removes that object.

``interpret(document)`` turns a parsed document into an ``AppDef``; ``load(text, name)`` parses
first (``AppDefError`` with line and column on bad JSON).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .sources.appdef import AppDefError, parse_appdef

KNS_KEYS = ("nestedkubernetes", "nested_kubernetes")
SYSCTL_CONFIG = "sysctl-config"
GOTTY_PATH = "/gotty-shell"

__all__ = ["AppDef", "AppDefError", "GOTTY_PATH", "KNS_KEYS", "SYSCTL_CONFIG", "Template",
           "gotty_enabled_value", "interpret", "load"]


@dataclass(frozen=True)
class Template:
    """One entry of ``templates``: a Kubeflow component the KNS app deploys."""
    name: str | None
    type: str | None
    path: str | None
    index: int
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def missing(self) -> list[str]:
        """The keys a kustomize/kubectl template needs that this one lacks."""
        wanted = ("name", "type", "path")
        return [k for k in wanted if not getattr(self, k)]

    @property
    def is_sysctl_config(self) -> bool:
        return self.name == SYSCTL_CONFIG or (self.path or "").rstrip("/").endswith(f"/{SYSCTL_CONFIG}")


def gotty_enabled_value(value: Any) -> bool | None:
    """``enable_gotty_shell`` as a boolean: True/"true" -> True, False/"false"/absent -> False,
    anything else -> None (not understood)."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


@dataclass(frozen=True)
class AppDef:
    """The AppDef as kfdoctor's checks need it."""
    name: str                                   # the file's path (or "AppDef")
    document: Any
    command: str | None = None                  # the command holding the KNS object
    kns_key: str | None = None                  # "nestedkubernetes" or "nested_kubernetes"
    kns: dict = field(default_factory=dict)     # the KNS object ({} when absent)
    both_spellings: bool = False                # one command carries both keys
    kns_commands: tuple[str, ...] = ()          # every command with a KNS key
    templates: tuple[Template, ...] = ()

    # -- what the nested cluster is -------------------------------------------------------------
    @property
    def is_kns(self) -> bool:
        return self.kns_key is not None

    @property
    def appkind(self) -> str | None:
        return self.document.get("appkind") if isinstance(self.document, dict) else None

    @property
    def kubernetes_version(self) -> str | None:
        value = self.kns.get("kubernetes_version")
        return str(value) if value is not None else None

    # -- GoTTY --------------------------------------------------------------------------------------
    @property
    def gotty_value(self) -> Any:
        """The raw ``enable_gotty_shell`` value (None when absent)."""
        return self.kns.get("enable_gotty_shell")

    @property
    def gotty_enabled(self) -> bool:
        """True when the AppDef enables the GoTTY shell (``"true"`` or true)."""
        return gotty_enabled_value(self.gotty_value) is True

    def gotty_url(self, job_url: str) -> str | None:
        """Where the shell is served: the job's own host, path ``/gotty-shell`` (guide ch. 6);
        None when the AppDef does not enable it. ``job_url`` is the job's URL or host."""
        if not self.gotty_enabled:
            return None
        parts = urlsplit(job_url if "//" in job_url else f"https://{job_url}")
        return f"{parts.scheme or 'https'}://{parts.netloc}{GOTTY_PATH}"

    # -- components -------------------------------------------------------------------------------
    @property
    def components(self) -> list[str]:
        """Template names, in order (unnamed entries are left out)."""
        return [t.name for t in self.templates if t.name]

    @property
    def sysctl_config(self) -> Template | None:
        """The ``sysctl-config`` template, when the AppDef keeps it."""
        return next((t for t in self.templates if t.is_sysctl_config), None)

    @property
    def keeps_sysctl_config(self) -> bool:
        return self.sysctl_config is not None

    def summary(self) -> dict:
        """The facts read, for a finding's evidence."""
        return {"file": self.name, "command": self.command, "kns_key": self.kns_key,
                "kubernetes_version": self.kubernetes_version, "enable_gotty_shell": self.gotty_value,
                "components": self.components, "sysctl_config": self.keeps_sysctl_config}


def _templates(kns: dict) -> tuple[Template, ...]:
    raw = kns.get("templates")
    if not isinstance(raw, list):
        return ()
    out = []
    for i, entry in enumerate(raw):
        entry_dict = entry if isinstance(entry, dict) else {}
        out.append(Template(_text(entry_dict.get("name")), _text(entry_dict.get("type")),
                            _text(entry_dict.get("path")), i, entry))
    return tuple(out)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def interpret(document: Any, name: str = "AppDef") -> AppDef:
    """Read a parsed AppDef: the first command holding a KNS object (either spelling), else a
    KNS object at the top level."""
    if not isinstance(document, dict):
        return AppDef(name, document)
    commands = document.get("commands")
    commands = commands if isinstance(commands, dict) else {}
    found: list[tuple[str | None, str, dict, bool]] = []
    for command_name, command in commands.items():
        if not isinstance(command, dict):
            continue
        keys = [k for k in KNS_KEYS if isinstance(command.get(k), dict)]
        if keys:
            found.append((command_name, keys[0], command[keys[0]], len(keys) > 1))
    if not found:
        keys = [k for k in KNS_KEYS if isinstance(document.get(k), dict)]
        if keys:
            found.append((None, keys[0], document[keys[0]], len(keys) > 1))
    if not found:
        return AppDef(name, document)
    command, key, kns, both = found[0]
    return AppDef(name, document, command, key, kns, both,
                  tuple(c for c, *_ in found if c is not None), _templates(kns))


def load(text: str, name: str = "AppDef") -> AppDef:
    """Parse and interpret; raises AppDefError (line and column) on invalid JSON."""
    return interpret(parse_appdef(text, name), name)
