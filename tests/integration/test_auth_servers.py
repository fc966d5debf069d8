"""The real auth chain (Keycloak, oauth2-proxy, Envoy) behaves as a Kubeflow job's does."""
from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import pytest
import requests
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakGetError

from tests.servers.auth import start_auth_servers
from tests.servers.job import JobSpec
from tests.servers.login import browser_login
from tests.servers.oauth2_proxy import COOKIE_NAME
from tests.servers.seed_keycloak import admin_client, seed_keycloak, seed_many_users


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _password_grant(auth, username: str) -> dict:
    response = requests.post(f"{auth.issuer}/protocol/openid-connect/token", timeout=10, data={
        "grant_type": "password", "client_id": auth.client_id, "client_secret": auth.client_secret,
        "username": username, "password": auth.passwords[username], "scope": "openid email profile"})
    response.raise_for_status()
    return response.json()


def _proxy_log(auth) -> str:
    return auth.oauth2_proxy.log_path.read_text(errors="replace")


def test_verified_user_with_role_logs_in(auth_servers):
    result = browser_login(auth_servers.envoy_url, "alice", auth_servers.passwords["alice"])

    assert result.ok, result.response.text[:500]
    assert result.cookie
    page = result.response.json()
    assert page["title"] == "Kubeflow Central Dashboard"
    assert page["headers"]["kubeflow-userid"] == "alice@example.org"
    assert page["headers"]["authorization"].startswith("Bearer ")
    assert _claims(page["headers"]["authorization"][7:])["aud"] in ("kns-job-5", ["kns-job-5"])


def test_unverified_user_is_refused_by_oauth2_proxy(auth_faults):
    auth = auth_faults("unverified_user")
    result = browser_login(auth.envoy_url, "bob", auth.passwords["bob"])

    assert result.response.status_code == 500
    assert result.response.url.startswith(f"{auth.envoy_url}/oauth2/callback")
    assert result.cookie is None
    assert ("Error redeeming code during OAuth2 callback: "
            "email in id_token (bob@example.org) isn't verified") in _proxy_log(auth)


def test_user_without_role_is_refused(auth_faults):
    auth = auth_faults("user_without_role")
    result = browser_login(auth.envoy_url, "bob", auth.passwords["bob"])

    assert result.response.status_code == 403
    assert result.cookie is None
    assert "[AuthFailure] Invalid authentication via OAuth2: unauthorized" in _proxy_log(auth)


def test_disabled_user_is_refused_by_keycloak(auth_faults):
    auth = auth_faults("disabled_user")
    result = browser_login(auth.envoy_url, "bob", auth.passwords["bob"])

    assert result.cookie is None
    assert result.response.url.startswith(f"{auth.keycloak_url}/realms/jdoe/login-actions/")
    assert "Account is disabled, contact your administrator." in result.response.text


def test_missing_job_client_is_refused_by_keycloak(auth_faults):
    auth = auth_faults("no_job_client")
    result = browser_login(auth.envoy_url, "alice", auth.passwords["alice"])

    assert result.response.status_code == 400
    assert "Client not found." in result.response.text


@pytest.mark.parametrize("fault, error", [
    ("no_audience_mapper", "audience claims [aud] do not exist in claims"),
    ("audience_mapper_wrong", ("audience from claim aud with value [account] "
                               "does not match with any of allowed audiences map[kns-job-5:{}]")),
])
def test_without_audience_mapper_the_login_fails_with_the_audience_error(auth_faults, fault, error):
    """oauth2-proxy's keycloak-oidc provider (up to v7.8, as Kubeflow 1.9 and 1.10 deploy it)
    verifies the access token like an ID token, so the access token needs aud kns-job-5."""
    auth = auth_faults(fault)
    result = browser_login(auth.envoy_url, "alice", auth.passwords["alice"])
    access_token = _password_grant(auth, "alice")["access_token"]

    assert "kns-job-5" not in (_claims(access_token).get("aud") or [])
    assert result.response.status_code == 500
    assert result.response.url.startswith(f"{auth.envoy_url}/oauth2/callback")
    assert result.cookie is None
    assert f"Error creating session during OAuth2 callback: {error}" in _proxy_log(auth)


def test_bearer_access_token_with_audience_mapper_is_accepted(auth_servers):
    access_token = _password_grant(auth_servers, "alice")["access_token"]
    assert "kns-job-5" in _claims(access_token)["aud"]
    response = requests.get(f"{auth_servers.oauth2_proxy_url}/", timeout=10,
                            headers={"Authorization": f"Bearer {access_token}"}, allow_redirects=False)
    assert response.status_code == 200


def test_basic_authorization_header_is_denied_despite_a_valid_cookie(auth_servers):
    login = browser_login(auth_servers.envoy_url, "alice", auth_servers.passwords["alice"])
    assert login.ok, (login.response.status_code, login.response.url, login.response.text[:300])
    cookies = {COOKIE_NAME: login.cookie}
    basic = "Basic " + base64.b64encode(b"gotty:secret").decode()

    denied = requests.get(f"{auth_servers.envoy_url}/pipeline/", cookies=cookies, timeout=10,
                          headers={"Authorization": basic}, allow_redirects=False)
    allowed = requests.get(f"{auth_servers.envoy_url}/pipeline/", cookies=cookies, timeout=10,
                           allow_redirects=False)

    assert (denied.status_code, denied.text, denied.headers["server"]) == (403, "RBAC: access denied", "envoy")
    assert allowed.status_code == 200
    assert allowed.json()["headers"]["kubeflow-userid"] == "alice@example.org"


STRIP_BASIC = """
function envoy_on_request(h)
  local a = h:headers():get("authorization")
  if a ~= nil and string.lower(string.sub(a, 1, 6)) == "basic " then
    h:headers():remove("authorization")
  end
end
"""


def strip_basic_envoy_filter(operation: str, sub_filter: str | None) -> dict:
    """domain-facts §6.5's EnvoyFilter: a Lua filter removing a Basic Authorization header."""
    hcm = {"name": "envoy.filters.network.http_connection_manager"}
    if sub_filter:
        hcm["subFilter"] = {"name": sub_filter}
    return {"workloadSelector": {"labels": {"istio": "ingressgateway"}}, "configPatches": [{
        "applyTo": "HTTP_FILTER",
        "match": {"context": "GATEWAY", "listener": {"filterChain": {"filter": hcm}}},
        "patch": {"operation": operation, "value": {"name": "envoy.filters.http.lua", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "inlineCode": STRIP_BASIC}}}}]}


@pytest.mark.parametrize("operation, sub_filter, status", [
    # domain-facts §6.5 (inferred): before ext_authz. Too late: the CUSTOM rule's shadow RBAC
    # filter, before ext_authz, has already seen the header and switched oauth2-proxy off.
    ("INSERT_BEFORE", "envoy.filters.http.ext_authz", 403),
    ("INSERT_FIRST", None, 200),
])
def test_dropping_the_basic_header_works_only_before_istios_authz_filters(auth_servers, operation,
                                                                          sub_filter, status):
    login = browser_login(auth_servers.envoy_url, "alice", auth_servers.passwords["alice"])
    assert login.ok
    basic = "Basic " + base64.b64encode(b"gotty:secret").decode()
    try:
        auth_servers.apply_envoy_filters([strip_basic_envoy_filter(operation, sub_filter)])
        response = requests.get(f"{auth_servers.envoy_url}/pipeline/", cookies={COOKIE_NAME: login.cookie},
                                headers={"Authorization": basic}, allow_redirects=False, timeout=10)
    finally:
        auth_servers.apply_envoy_filters([])
    assert response.status_code == status, response.text[:200]
    if status == 200:
        assert response.json()["headers"]["kubeflow-userid"] == "alice@example.org"


def test_invalid_bearer_token_gets_envoys_jwt_error(auth_servers):
    response = requests.get(auth_servers.envoy_url, headers={"Authorization": "Bearer not-a-jwt"}, timeout=10)
    assert response.status_code == 401
    assert response.text == "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"


def test_anonymous_request_is_sent_to_keycloak(auth_servers):
    response = requests.get(auth_servers.envoy_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"{auth_servers.issuer}/protocol/openid-connect/auth?")
    assert f"{COOKIE_NAME}_csrf=" in response.headers["set-cookie"]


@pytest.mark.parametrize("faults, lifespan", [((), 130 * 60), (("short_token_lifespan",), 300)])
def test_token_lifespan(auth_faults, faults, lifespan):
    auth = auth_faults(*faults)
    tokens = _password_grant(auth, "alice")
    for token in (tokens["access_token"], tokens["id_token"]):
        claims = _claims(token)
        assert claims["exp"] - claims["iat"] == lifespan


def test_seeded_realm_matches_the_admin_guide(auth_servers):
    admin = admin_client(auth_servers.keycloak_url, auth_servers.admin_user, auth_servers.admin_password)
    admin.change_current_realm(auth_servers.realm)
    realm = admin.get_realm(auth_servers.realm)
    client = admin.get_client(admin.get_client_id("kns-job-5"))
    (mapper,) = client["protocolMappers"]
    members = {u["username"] for u in admin.get_client_role_members(client["id"], "kns-role")}

    assert (realm["accessTokenLifespan"], realm["ssoSessionIdleTimeout"], realm["ssoSessionMaxLifespan"]) == (
        300, 1800, 36000)
    assert client["attributes"]["access.token.lifespan"] == "7800"
    assert client["redirectUris"] == [f"{auth_servers.envoy_url}/oauth2/callback"]
    assert mapper["protocolMapper"] == "oidc-audience-mapper"
    assert mapper["config"]["included.client.audience"] == "kns-job-5"
    assert (mapper["config"]["id.token.claim"], mapper["config"]["access.token.claim"]) == ("true", "true")
    assert members == {"alice", "bob"}


def test_restricted_admin_lacks_realm_management_roles(auth_servers):
    viewer = auth_servers.seeded.restricted_admin
    admin = KeycloakAdmin(server_url=f"{auth_servers.keycloak_url}/", username=viewer.username,
                          password=viewer.password, realm_name=auth_servers.realm)
    assert admin.get_realm(auth_servers.realm)["realm"] == "jdoe"
    with pytest.raises(KeycloakGetError) as denied:
        admin.get_users()
    assert denied.value.response_code == 403


def test_many_users_by_partial_import(keycloak_server):
    spec = JobSpec(admin="bulk")
    url, user, password = keycloak_server.url, keycloak_server.admin_user, keycloak_server.admin_password
    seed_keycloak(url, user, password, spec, redirect_uri="http://127.0.0.1:9/oauth2/callback")
    started = time.monotonic()
    names = seed_many_users(url, user, password, spec, n=2000)
    seconds = time.monotonic() - started
    admin = admin_client(url, user, password)
    admin.change_current_realm(spec.realm)
    try:
        members = admin.get_client_role_members(admin.get_client_id(spec.client_id), "kns-role")
        assert len(names) == 2000
        assert admin.users_count() == 2000 + len(spec.users) + 2
        assert len(members) == 200 + 2   # every 10th bulk user, plus alice and bob
        assert seconds < 60
    finally:
        admin.delete_realm(spec.realm)


def _group_pids(pgid: int) -> set:
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.add(int(entry))
    return pids


def test_second_chain_stops_without_leftovers(tmp_path):
    servers = start_auth_servers(tmp_path, JobSpec(number=7, admin="second"))
    try:
        assert browser_login(servers.envoy_url, "alice", servers.passwords["alice"]).ok
        groups = servers.pids()
        assert len(groups) == 3
        assert all(_group_pids(pid) for pid in groups)   # kc.sh + java, oauth2-proxy, envoy
    finally:
        servers.stop()
    assert {pid: _group_pids(pid) for pid in groups} == {pid: set() for pid in groups}
    assert not servers.keycloak.home.exists()


def test_reseed_restarts_oauth2_proxy_only_when_its_config_changes(auth_faults):
    auth = auth_faults()
    pid = auth.oauth2_proxy.pid
    assert auth_faults("unverified_user").oauth2_proxy.pid == pid
    auth = auth_faults(cookie_expire="1h")
    assert auth.oauth2_proxy.pid != pid
    assert 'cookie_expire = "1h"' in (auth.log_dir / "oauth2_proxy.cfg").read_text()
    assert browser_login(auth.envoy_url, "alice", auth.passwords["alice"]).ok
