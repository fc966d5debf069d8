"""Fresh live connections for applying and undoing plans (never the checks' tape)."""
from __future__ import annotations

import json
from typing import Any

from ..settings import Settings
from ..sources.errors import ConfigError, NotFound, SourceError, Unreachable
from ..sources.tape import Tape
from .plan import FixFailed, _kc_error


class FixContext:
    """Opens each source on first use with its own live Tape, so every read is fresh."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.tape = Tape("live")
        self._kube = self._keycloak = self._jarvice = None
        self._versions: dict[tuple[str, str], str] = {}

    # -- sources -------------------------------------------------------------------------------
    @property
    def kube(self):
        if self._kube is None:
            from ..sources.kube import KubeOptions, KubeSource

            s = self.settings
            self._kube = KubeSource(self.tape, KubeOptions(s.kubeconfig, s.context, s.in_cluster,
                                                           s.connect_timeout)).open()
        return self._kube

    @property
    def keycloak(self):
        if self._keycloak is None:
            from ..sources.keycloak import KeycloakOptions, KeycloakSource

            s = self.settings
            if not (s.keycloak_url and s.effective_realm):
                raise ConfigError("this plan changes Keycloak: pass --keycloak-url and --realm")
            try:
                self._keycloak = KeycloakSource(self.tape, KeycloakOptions(
                    s.keycloak_url, s.effective_realm, s.keycloak_user, s.keycloak_password,
                    s.keycloak_user_realm, s.keycloak_verify)).open()
            except ConfigError as error:   # mid-run, an unreachable Keycloak fails this action
                raise Unreachable(str(error)) from None
        return self._keycloak

    @property
    def jarvice(self):
        if self._jarvice is None:
            from ..sources.jarvice import JarviceOptions, JarviceSource

            s = self.settings
            if not (s.jarvice_url and s.jarvice_user):
                raise ConfigError("this plan acts on the JARVICE job: pass --jarvice-url and "
                                  "--jarvice-user")
            self._jarvice = JarviceSource(self.tape, JarviceOptions(s.jarvice_url, s.jarvice_user,
                                                                    s.jarvice_apikey))
        return self._jarvice

    # -- Keycloak admin calls ------------------------------------------------------------------------
    def keycloak_call(self, method: str, path: str, body: Any = None,
                      query: dict | None = None) -> Any:
        """``method`` on admin/realms/<realm>/<path>; errors carry Keycloak's own message."""
        from keycloak.exceptions import KeycloakConnectionError

        source = self.keycloak
        connection = source.admin().connection
        full = f"admin/realms/{source.realm}" + (f"/{path}" if path else "")
        data = json.dumps(body) if body is not None else None
        query = query or {}
        try:
            if method == "GET":
                response = connection.raw_get(full, **query)
            elif method == "PUT":
                response = connection.raw_put(full, data=data or "", **query)
            elif method == "POST":
                response = connection.raw_post(full, data=data or "", **query)
            elif method == "DELETE":
                response = connection.raw_delete(full, data=data, **query)
            else:
                raise ValueError(method)
        except KeycloakConnectionError as error:
            raise Unreachable(f"Keycloak {self.settings.keycloak_url} stopped answering: "
                              f"{error}") from None
        except Exception as error:  # noqa: BLE001 - token refresh failures and the like
            if isinstance(error, SourceError):
                raise
            raise Unreachable(f"Keycloak {method} {path}: {type(error).__name__}: {error}") from None
        if response.status_code == 404:
            raise NotFound(f"Keycloak: {path} not found")
        if response.status_code >= 400:
            raise FixFailed(_kc_error(response, f"{method} {path}"))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    # -- resourceVersions this run produced itself (two plans on one object) ------------------------
    def expected_version(self, where: str, planned: str | None) -> str | None:
        version = planned
        seen = set()
        while (where, version) in self._versions and version not in seen:
            seen.add(version)
            version = self._versions[(where, version)]
        return version

    def produced(self, where: str, old: str | None, new: str | None) -> None:
        if old and new:
            self._versions[(where, old)] = new
