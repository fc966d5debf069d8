"""oauth2-proxy built from the Go module proxy, configured like the Kubeflow manifests."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests

from .cache import cached
from .process import ManagedProcess

# Kubeflow 1.10.0's pin. Up to v7.8 the keycloak-oidc provider verifies the access token's audience
# at login, which is why the admin guide makes the Audience mapper mandatory (docs/NOTES.md).
OAUTH2_PROXY_VERSION = "v7.7.1"
MODULE = "github.com/oauth2-proxy/oauth2-proxy/v7"
COOKIE_NAME = "oauth2_proxy_kubeflow"


def ensure_oauth2_proxy(version: str = OAUTH2_PROXY_VERSION) -> Path:
    """The oauth2-proxy binary in the cache; ``go install``-ed only when missing."""
    bindir = cached(f"oauth2-proxy-{version}")
    binary = bindir / "oauth2-proxy"
    if not binary.exists():
        subprocess.run(
            ["go", "install", "-ldflags", f"-X {MODULE}/pkg/version.VERSION={version}", f"{MODULE}@{version}"],
            check=True, env={**os.environ, "CGO_ENABLED": "0", "GOBIN": str(bindir)})
    return binary


@dataclass(frozen=True)
class ProxyConfig:
    """The values of oauth2_proxy.cfg that vary between runs."""
    port: int
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str
    cookie_secret: str
    cookie_expire: str = "2h"
    cookie_refresh: str = "0s"


def render_config(cfg: ProxyConfig) -> str:
    """oauth2_proxy.cfg as in kubeflow/manifests common/oauth2-proxy (Keycloak instead of Dex,
    discovery instead of explicit endpoints, kns-role required as a client role)."""
    values = {
        "http_address": f"127.0.0.1:{cfg.port}",
        "provider": "keycloak-oidc",
        "oidc_issuer_url": cfg.issuer,
        "client_id": cfg.client_id,
        "client_secret": cfg.client_secret,
        "allowed_roles": [f"{cfg.client_id}:kns-role"],
        "scope": "openid email profile",
        "email_domains": ["*"],
        "upstreams": ["static://200"],          # ext-authz check only
        "redirect_url": cfg.redirect_url,
        "code_challenge_method": "S256",
        "skip_provider_button": True,
        "set_authorization_header": True,        # Authorization: Bearer <ID token>
        "set_xauthrequest": True,
        "skip_jwt_bearer_tokens": True,          # ENABLE_M2M_TOKENS=true
        "cookie_name": COOKIE_NAME,
        "cookie_secret": cfg.cookie_secret,
        "cookie_secure": False,
        "cookie_expire": cfg.cookie_expire,
        "cookie_refresh": cfg.cookie_refresh,
    }
    return "".join(f"{key} = {_toml(value)}\n" for key, value in values.items())


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def start_oauth2_proxy(log_dir: Path, cfg: ProxyConfig, timeout: float = 30) -> ManagedProcess:
    """Write the config next to the logs, start oauth2-proxy and wait for /ping."""
    config = Path(log_dir) / "oauth2_proxy.cfg"
    config.write_text(render_config(cfg))
    process = ManagedProcess("oauth2-proxy", [ensure_oauth2_proxy(), f"--config={config}"], log_dir).start()
    try:
        process.wait_ready(lambda: requests.get(f"http://127.0.0.1:{cfg.port}/ping", timeout=2).ok, timeout)
    except Exception:
        process.stop()
        raise
    return process
