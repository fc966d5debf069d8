"""The Kubeflow auth chain on loopback: Envoy (the gateway) -> oauth2-proxy -> Keycloak, and a dashboard.

    browser ──► Envoy :envoy_url ──/oauth2/*──► oauth2-proxy ──► Keycloak (realm spec.realm)
                  │ ext_authz (no Authorization header) ─┘
                  └── jwt_authn + RBAC require-jwt ──► dashboard (echoes the headers it got)
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests

from .dashboard import Dashboard
from .envoy import GatewayConfig, start_envoy
from .job import JobSpec
from .keycloak import KeycloakServer, start_keycloak
from .oauth2_proxy import ProxyConfig, start_oauth2_proxy
from .process import ManagedProcess, free_port
from .seed_keycloak import SeededRealm, seed_keycloak


@dataclass
class AuthServers:
    """Everything of the chain; ``envoy_url`` is the job URL a browser opens."""
    keycloak: KeycloakServer
    seeded: SeededRealm
    dashboard: Dashboard
    proxy_config: ProxyConfig
    gateway: GatewayConfig
    log_dir: Path
    oauth2_proxy: ManagedProcess
    envoy: ManagedProcess
    owns_keycloak: bool = True
    spec: JobSpec = field(default_factory=JobSpec)

    keycloak_url = property(lambda self: self.keycloak.url)
    admin_user = property(lambda self: self.keycloak.admin_user)
    admin_password = property(lambda self: self.keycloak.admin_password)
    realm = property(lambda self: self.seeded.realm)
    issuer = property(lambda self: self.seeded.issuer)
    client_id = property(lambda self: self.seeded.client_id)
    client_secret = property(lambda self: self.seeded.client_secret)
    users = property(lambda self: self.seeded.users)
    oauth2_proxy_url = property(lambda self: f"http://127.0.0.1:{self.proxy_config.port}")
    envoy_url = property(lambda self: f"http://127.0.0.1:{self.gateway.port}")
    upstream_url = property(lambda self: self.dashboard.url)

    @property
    def passwords(self) -> dict:
        return {u.username: u.password for u in self.seeded.users}

    @property
    def processes(self) -> list:
        owned = [self.keycloak.process] if self.owns_keycloak else []
        return owned + [self.oauth2_proxy, self.envoy]

    def pids(self) -> list:
        return [p.pid for p in self.processes if p.pid is not None]

    def reseed(self, spec: JobSpec) -> SeededRealm:
        """Re-create the realm for ``spec``; restart oauth2-proxy or Envoy only if their config changes."""
        self.seeded = seed_keycloak(self.keycloak.url, self.keycloak.admin_user, self.keycloak.admin_password,
                                    spec, self.seeded.redirect_uri)
        config = _proxy_config(spec, self.seeded, self.proxy_config)
        if config != self.proxy_config:
            self.oauth2_proxy.stop()
            self.proxy_config = config
            self.oauth2_proxy = start_oauth2_proxy(self.log_dir, config)
        self._reconfigure_envoy(replace(self.gateway, issuer=self.seeded.issuer,
                                        jwks=realm_jwks(self.seeded.issuer)))
        self.spec = spec
        return self.seeded

    def apply_envoy_filters(self, specs: list[dict]) -> None:
        """Play istiod: reconfigure the gateway with these EnvoyFilter specs (restart if changed)."""
        filters = tuple(json.dumps(spec, sort_keys=True) for spec in specs)
        self._reconfigure_envoy(replace(self.gateway, envoy_filters=filters))

    def _reconfigure_envoy(self, gateway: GatewayConfig) -> None:
        if gateway != self.gateway:
            self.envoy.stop()
            self.gateway = gateway
            self.envoy = start_envoy(self.log_dir, gateway)

    def stop(self) -> None:
        """Stop every process (Keycloak only if started here) and the dashboard."""
        for process in (self.envoy, self.oauth2_proxy):
            process.stop()
        self.dashboard.stop()
        if self.owns_keycloak:
            self.keycloak.stop()


def _proxy_config(spec: JobSpec, seeded: SeededRealm, previous: ProxyConfig) -> ProxyConfig:
    return replace(previous, issuer=seeded.issuer, client_id=seeded.client_id,
                   client_secret=seeded.client_secret, cookie_expire=spec.cookie_expire)


def realm_jwks(issuer: str) -> str:
    """The realm's signing keys (its JWKS document), as istiod fetches them for the gateway."""
    response = requests.get(f"{issuer}/protocol/openid-connect/certs", timeout=10)
    response.raise_for_status()
    return response.text


def start_auth_servers(log_dir: Path, spec: JobSpec | None = None,
                       keycloak: KeycloakServer | None = None) -> AuthServers:
    """Start (or reuse ``keycloak``) and seed Keycloak, then the dashboard, oauth2-proxy and Envoy."""
    spec = spec or JobSpec()
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    owns_keycloak = keycloak is None
    keycloak = keycloak or start_keycloak(log_dir)
    started = []
    try:
        envoy_port = free_port()
        seeded = seed_keycloak(keycloak.url, keycloak.admin_user, keycloak.admin_password, spec,
                               redirect_uri=f"http://127.0.0.1:{envoy_port}/oauth2/callback")
        dashboard = Dashboard()
        started.append(dashboard)
        cookie_secret = base64.urlsafe_b64encode(os.urandom(32)).decode()
        proxy_config = _proxy_config(spec, seeded, ProxyConfig(
            port=free_port(), issuer="", client_id="", client_secret="",
            redirect_url=seeded.redirect_uri, cookie_secret=cookie_secret))
        oauth2_proxy = start_oauth2_proxy(log_dir, proxy_config)
        started.append(oauth2_proxy)
        gateway = GatewayConfig(port=envoy_port, admin_port=free_port(), oauth2_proxy_port=proxy_config.port,
                                upstream_port=dashboard.port, issuer=seeded.issuer,
                                jwks=realm_jwks(seeded.issuer))
        envoy = start_envoy(log_dir, gateway)
    except BaseException:
        for thing in reversed(started):
            thing.stop()
        if owns_keycloak:
            keycloak.stop()
        raise
    return AuthServers(keycloak=keycloak, seeded=seeded, dashboard=dashboard, proxy_config=proxy_config,
                       gateway=gateway, log_dir=log_dir, oauth2_proxy=oauth2_proxy, envoy=envoy,
                       owns_keycloak=owns_keycloak, spec=spec)
