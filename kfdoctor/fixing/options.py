"""The choices a fix run passes to remediations (the ``fix_options`` fixture)."""
from __future__ import annotations

from dataclasses import dataclass, field

EMAIL_POLICIES = ("send", "trust")


@dataclass(frozen=True)
class FixOptions:
    default_class: str | None = None      # --default-class: the StorageClass to keep as default
    email_policy: str | None = None       # --email-policy send|trust (unverified e-mails)
    realm_wide: bool = False              # --realm-wide: realm accessTokenLifespan, not the client
    add_paths: tuple = field(default_factory=tuple)   # --add-path: extra whitelisted paths
    print_host_commands: bool = False     # --print-host-commands: inotify as host commands
