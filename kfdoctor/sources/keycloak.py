"""The Keycloak admin source: python-keycloak for the admin session, paginated reads, recorded."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import AuthFailed, ConfigError, Forbidden, NotFound, SourceError, Unreachable
from .tape import Tape

PAGE_SIZE = 100


@dataclass(frozen=True)
class KeycloakOptions:
    url: str
    realm: str                       # the realm being diagnosed (the ML team admin's username)
    username: str = "admin"
    password: str = field(default="", repr=False)
    user_realm: str = "master"       # the realm the admin user logs into
    verify: bool | str = True
    timeout: float = 10.0


class KeycloakSource:
    """Reads one realm through the admin REST API."""

    def __init__(self, tape: Tape, options: KeycloakOptions):
        self.tape = tape
        self.options = options
        self.realm = options.realm
        self._connection = None
        self._lock = threading.Lock()
        self.requests = 0

    def open(self) -> "KeycloakSource":
        """Log in as the admin; wrong credentials or no answer become ConfigError (exit 2)."""
        if self.tape.replaying:
            return self
        from keycloak import KeycloakOpenIDConnection
        from keycloak.exceptions import KeycloakAuthenticationError, KeycloakConnectionError

        opts = self.options
        connection = KeycloakOpenIDConnection(
            server_url=opts.url, username=opts.username, password=opts.password,
            realm_name=opts.realm, user_realm_name=opts.user_realm, client_id="admin-cli",
            verify=opts.verify, timeout=opts.timeout, max_retries=0)
        try:
            self._count()
            connection.get_token()
        except KeycloakAuthenticationError:
            raise ConfigError(f"Keycloak {opts.url}: the admin credentials of user "
                              f"{opts.username!r} in realm {opts.user_realm!r} were rejected") from None
        except KeycloakConnectionError as error:
            raise ConfigError(f"Keycloak {opts.url} is unreachable: {_one_line(error)}") from None
        except Exception as error:  # noqa: BLE001 - python-keycloak raises many kinds
            raise ConfigError(f"Keycloak {opts.url}: login failed: {_one_line(error)}") from None
        self._connection = connection
        return self

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def _get(self, path: str, params: dict) -> Any:
        from keycloak.exceptions import KeycloakConnectionError

        if self._connection is None:
            raise SourceError("the Keycloak source is not open")
        self._count()
        try:
            response = self._connection.raw_get(path, **params)
        except KeycloakConnectionError as error:
            raise Unreachable(f"Keycloak unreachable: {_one_line(error)}") from None
        if response.status_code == 401:
            raise AuthFailed("Keycloak rejected the admin token (401)")
        if response.status_code == 403:
            raise Forbidden(f"Keycloak forbids {path} (403): the admin lacks a realm-management "
                            "role", permission="realm-management role",
                            grant="Keycloak console: Users -> <admin> -> Role mapping -> "
                                  "realm-management")
        if response.status_code == 404:
            raise NotFound(f"Keycloak: {path} not found")
        if response.status_code >= 400:
            raise SourceError(f"Keycloak {path}: HTTP {response.status_code}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        """GET ``admin/realms/<realm>/<path>`` ('' for the realm itself)."""
        full = f"admin/realms/{self.realm}" + (f"/{path}" if path else "")
        return self.tape.read("keycloak", "get", {"path": full, "params": params},
                              lambda: self._get(full, params))

    def get_url(self, path: str, **params: Any) -> Any:
        """GET any path of the server, e.g. ``admin/realms/master/...`` (the admin's own realm) or
        ``realms/<realm>/protocol/openid-connect/userinfo`` (who the admin is)."""
        return self.tape.read("keycloak", "get", {"path": path, "params": params},
                              lambda: self._get(path, params))

    def get_all(self, path: str, **params: Any) -> list:
        """Every item of a paginated collection (first/max), one request per page."""
        full = f"admin/realms/{self.realm}/{path}"

        def fetch() -> list:
            items, first = [], 0
            while True:
                page = self._get(full, {**params, "first": first, "max": PAGE_SIZE}) or []
                items.extend(page)
                if len(page) < PAGE_SIZE:
                    return items
                first += PAGE_SIZE
        return self.tape.read("keycloak", "get_all", {"path": full, "params": params}, fetch)

    def admin(self):
        """A python-keycloak KeycloakAdmin on the same session (for remediations)."""
        from keycloak import KeycloakAdmin

        if self._connection is None:
            raise SourceError("cannot change Keycloak while replaying a recording")
        return KeycloakAdmin(connection=self._connection)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:300] or type(error).__name__
