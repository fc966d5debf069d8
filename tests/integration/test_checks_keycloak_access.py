"""The Keycloak and access checks against the real Keycloak, oauth2-proxy, Envoy and kube-apiserver.

Run with ``python -m pytest -p tests.servers.auth_fixtures -p tests.servers.kube_fixtures
tests/integration/test_checks_keycloak_access.py``.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest

from kfdoctor.run import Selection, execute
from kfdoctor.settings import Settings
from kfdoctor.sources.keycloak import PAGE_SIZE
from kfdoctor.sources.tape import Tape
from tests.servers.job import JobSpec
from tests.servers.login import browser_login
from tests.servers.seed_keycloak import seed_keycloak, seed_many_users

pytestmark = pytest.mark.integration

KEYCLOAK_CHECKS = ["keycloak_realm_access", "keycloak_job_client_present", "keycloak_audience_mapper",
                   "keycloak_token_lifespan", "keycloak_users_email_verified", "keycloak_users_have_role"]
ACCESS_CHECKS = ["access_gotty_header_conflict", "access_login_probe"]


def settings_for(auth, seeded=None, **extra) -> Settings:
    values = dict(keycloak_url=auth.keycloak_url, keycloak_password=auth.admin_password,
                  realm=auth.realm, job=auth.spec.number, job_url=auth.envoy_url)
    if seeded is not None:
        values.update(kubeconfig=str(seeded.kubeconfig), appdef=str(seeded.appdef_path))
    values.update(extra)
    return Settings(**values)


def run(settings: Settings, ids):
    outcome = execute(settings, Selection(list(ids)), Tape("live"))
    try:
        return outcome.result.results, outcome.runner.session
    finally:
        outcome.runner.close()


def rows(results, check, status=None):
    return [r for r in results if r["check"] == check and (status is None or r["status"] == status)]


def only(results, check, status):
    found = rows(results, check)
    assert found and all(r["status"] == status for r in found), \
        f"{check}: expected all {status}, got {[(r['status'], r['resource'], r['message']) for r in found]}"
    return found


@pytest.fixture
def cluster(kube_job, auth_servers):
    """The seeded kube side of the healthy job (oauth2-proxy config, profiles, AppDef)."""
    return lambda spec=None: kube_job(spec or JobSpec(), keycloak_issuer=auth_servers.issuer)


# --- healthy: everything passes --------------------------------------------------------------------

def test_healthy_job_passes_every_check(auth_servers, cluster):
    seeded = cluster()
    settings = settings_for(auth_servers, seeded, probe_user="alice",
                            probe_password=auth_servers.passwords["alice"])
    results, _ = run(settings, KEYCLOAK_CHECKS + ACCESS_CHECKS)
    for check in KEYCLOAK_CHECKS + ACCESS_CHECKS:
        only(results, check, "pass")
    lifespan = rows(results, "keycloak_token_lifespan")[0]
    assert lifespan["evidence"]["cookie_expire_from"].startswith(
        f"ConfigMap oauth2-proxy/{seeded.oauth2_proxy_configmap} key oauth2_proxy.cfg")


# --- each problem on: the right resource and message -----------------------------------------------

def test_realm_access_master_admin_realm_admin_viewer_and_missing_realm(auth_servers):
    results, _ = run(settings_for(auth_servers), ["keycloak_realm_access"])
    assert "holds view-realm, view-users, view-clients, manage-users, manage-clients" in \
        only(results, "keycloak_realm_access", "pass")[0]["message"]
    admin = auth_servers.seeded.realm_admin
    results, _ = run(settings_for(auth_servers, keycloak_user=admin.username,
                                  keycloak_user_realm=auth_servers.realm,
                                  keycloak_password=admin.password), ["keycloak_realm_access"])
    only(results, "keycloak_realm_access", "pass")
    viewer = auth_servers.seeded.restricted_admin
    results, _ = run(settings_for(auth_servers, keycloak_user=viewer.username,
                                  keycloak_user_realm=auth_servers.realm,
                                  keycloak_password=viewer.password), ["keycloak_realm_access"])
    row = only(results, "keycloak_realm_access", "fail")[0]
    assert "lacks realm-management roles view-users, view-clients" in row["message"]
    assert row["evidence"]["method"] == "probe reads"
    results, _ = run(settings_for(auth_servers, realm="nosuchrealm"), ["keycloak_realm_access"])
    assert "realm 'nosuchrealm' does not exist" in only(results, "keycloak_realm_access", "fail")[0]["message"]


def test_no_job_client(auth_faults):
    auth = auth_faults("no_job_client")
    results, _ = run(settings_for(auth), KEYCLOAK_CHECKS[1:3])
    row = only(results, "keycloak_job_client_present", "fail")[0]
    assert row["resource"] == {"kind": "KeycloakClient", "namespace": "jdoe", "name": "kns-job-5"}
    assert "client kns-job-5 does not exist in realm 'jdoe'" in row["message"]
    assert "does not exist" in only(results, "keycloak_audience_mapper", "skip")[0]["message"]


@pytest.mark.parametrize("fault, message", [
    ("no_audience_mapper", "has no Audience mapper (oidc-audience-mapper); expected one with Included "
                           "Client Audience = kns-job-5"),
    ("audience_mapper_wrong", "names another audience (aud-mapper -> account)"),
])
def test_audience_mapper_faults(auth_faults, fault, message):
    auth = auth_faults(fault)
    row = only(run(settings_for(auth), ["keycloak_audience_mapper"])[0], "keycloak_audience_mapper",
               "fail")[0]
    assert row["resource"]["name"] == "kns-job-5" and message in row["message"]


def test_short_token_lifespan(auth_faults, cluster):
    seeded = cluster()
    auth = auth_faults("short_token_lifespan")
    results, _ = run(settings_for(auth, seeded), ["keycloak_token_lifespan"])
    row = rows(results, "keycloak_token_lifespan", "fail")[0]
    assert row["resource"]["kind"] == "KeycloakClient"
    assert "live 5m (realm jdoe accessTokenLifespan) but oauth2-proxy's cookie_expire is 2h" in row["message"]


def test_cookie_expire_env_override(auth_servers, cluster):
    seeded = cluster(JobSpec(faults=frozenset({"short_cookie_refresh"})))
    results, _ = run(settings_for(auth_servers, seeded), ["keycloak_token_lifespan"])
    row = rows(results, "keycloak_token_lifespan", "fail")[0]
    assert "cookie_expire is 24h (24h) with cookie_refresh = 0" in row["message"]
    assert "env OAUTH2_PROXY_COOKIE_EXPIRE" in row["evidence"]["cookie_expire_from"]
    assert rows(results, "keycloak_token_lifespan", "warn")[0]["resource"]["kind"] == "KeycloakRealm"


@pytest.mark.parametrize("fault, message", [
    ("unverified_user", "kns-role user bob has an unverified e-mail bob@example.org"),
    ("disabled_user", "kns-role user bob is disabled"),
])
def test_users_email_verified_faults(auth_faults, fault, message):
    auth = auth_faults(fault)
    results, _ = run(settings_for(auth), ["keycloak_users_email_verified"])
    row = rows(results, "keycloak_users_email_verified", "fail")
    assert len(row) == 1 and row[0]["resource"]["name"] == "bob" and message in row[0]["message"]
    assert [r["resource"]["name"] for r in rows(results, "keycloak_users_email_verified", "pass")] == ["alice"]


def test_users_have_role_both_sides(auth_faults, cluster):
    seeded = cluster(JobSpec(faults=frozenset({"profile_owner_without_user"})))
    auth = auth_faults("user_without_role")
    results, _ = run(settings_for(auth, seeded), ["keycloak_users_have_role"])
    failed = {r["resource"]["name"]: r for r in rows(results, "keycloak_users_have_role", "fail")}
    assert set(failed) == {"bob", "dave"}
    assert failed["bob"]["resource"]["kind"] == "KeycloakUser"
    assert "exists in realm 'jdoe' but lacks kns-role of kns-job-5" in failed["bob"]["message"]
    assert failed["dave"]["resource"]["kind"] == "Profile"
    assert "owned by dave@example.org, who has no Keycloak user" in failed["dave"]["message"]


def test_kns_role_through_a_nested_group_counts(auth_faults, cluster):
    """bob holds kns-role only as a member of /kubeflow-users/team-a, whose parent group holds
    it: oauth2-proxy lets him in, so the users checks must not flag him, until his e-mail is not
    verified."""
    auth = auth_faults(role_via_group=True)
    assert browser_login(auth.envoy_url, "bob", auth.passwords["bob"]).ok
    results, _ = run(settings_for(auth, cluster()), ["keycloak_users_have_role",
                                                      "keycloak_users_email_verified"])
    only(results, "keycloak_users_have_role", "pass")
    verified = {r["resource"]["name"]: r for r in only(results, "keycloak_users_email_verified", "pass")}
    assert set(verified) == {"alice", "bob"}
    assert verified["bob"]["evidence"]["kns_role_via"] == "group /kubeflow-users/team-a"
    assert verified["alice"]["evidence"]["kns_role_via"] == "direct"

    auth = auth_faults("unverified_user", role_via_group=True)
    results, _ = run(settings_for(auth), ["keycloak_users_email_verified"])
    assert [r["resource"]["name"] for r in rows(results, "keycloak_users_email_verified", "fail")] == ["bob"]


def test_gotty_header_conflict(auth_servers, cluster):
    seeded = cluster(JobSpec(faults=frozenset({"gotty_enabled"})))
    results, _ = run(settings_for(auth_servers, seeded), ["access_gotty_header_conflict"])
    row = only(results, "access_gotty_header_conflict", "fail")[0]
    assert row["resource"] == {"kind": "URL", "namespace": None, "name": auth_servers.envoy_url + "/"}
    assert "403 'RBAC: access denied'" in row["message"]
    assert row["evidence"]["with_basic_authorization"] == {"status": 403, "body": "RBAC: access denied"}


# --- the login probe -----------------------------------------------------------------------------------

def _probe(auth, seeded=None, user="alice", **extra):
    settings = settings_for(auth, seeded, probe_user=user, probe_password=auth.passwords[user], **extra)
    return run(settings, ["access_login_probe"])[0]


def test_login_probe_unverified_email(auth_faults):
    auth = auth_faults("unverified_user")
    row = only(_probe(auth, user="bob"), "access_login_probe", "fail")[0]
    assert row["cause"] == "keycloak_users_email_verified"
    assert "failed at step 'oauth2-proxy callback': HTTP 500" in row["message"]


def test_login_probe_without_audience_mapper(auth_faults):
    auth = auth_faults("no_audience_mapper")
    row = only(_probe(auth), "access_login_probe", "fail")[0]
    assert row["cause"] == "keycloak_audience_mapper"
    assert "failed at step 'oauth2-proxy callback': HTTP 500" in row["message"]


def test_login_probe_basic_header(auth_servers, cluster):
    seeded = cluster(JobSpec(faults=frozenset({"gotty_enabled"})))
    row = only(_probe(auth_servers, seeded), "access_login_probe", "fail")[0]
    assert row["cause"] == "access_gotty_header_conflict"
    assert "GoTTY's Basic header" in row["message"] and "RBAC: access denied" in row["message"]


def test_login_probe_wrong_password(auth_servers):
    settings = settings_for(auth_servers, probe_user="alice", probe_password="not-the-password")
    row = only(run(settings, ["access_login_probe"])[0], "access_login_probe", "fail")[0]
    assert "Invalid username or password." in row["message"] and row["cause"] is None


# --- scale: requests grow with pages only ------------------------------------------------------------

def test_many_users_requests_grow_with_pages(keycloak_server, kube_job):
    spec = JobSpec(admin="bulk")
    url, user, password = keycloak_server.url, keycloak_server.admin_user, keycloak_server.admin_password
    seed_keycloak(url, user, password, spec, redirect_uri="http://127.0.0.1:9/oauth2/callback")
    try:
        seeded = kube_job(spec)
        settings = Settings(keycloak_url=url, keycloak_password=password, realm=spec.realm,
                            job=spec.number, kubeconfig=str(seeded.kubeconfig))
        counts = {}
        for n in (0, 2000):
            if n:
                seed_many_users(url, user, password, spec, n=n)
            results, session = run(settings, ["keycloak_users_have_role", "keycloak_users_email_verified"])
            users = 2 + len(spec.users) + n             # two admins, the seeded users, the bulk
            members = 2 + n // 10                       # alice, bob, every 10th bulk user
            groups = 1                                  # no group holds kns-role: one empty page
            pages = math.floor(users / PAGE_SIZE) + 1 + math.floor(members / PAGE_SIZE) + 1 + groups
            counts[n] = (session.get("keycloak").requests, pages)
            assert len(rows(results, "keycloak_users_email_verified")) == members
        fixed = {n: requests - pages for n, (requests, pages) in counts.items()}
        print(f"\nKeycloak requests (total, pages): {counts}")
        # login + client search + client roles; everything else is one request per page
        assert fixed[0] == fixed[2000] == 3, counts
    finally:
        from tests.servers.seed_keycloak import admin_client, reset
        reset(admin_client(url, user, password), spec.realm)


# --- no secret in any output, log or recording ----------------------------------------------------------

def test_no_secret_in_outputs_logs_or_recording(auth_servers, cluster, tmp_path):
    seeded = cluster(JobSpec(faults=frozenset({"gotty_enabled"})))
    probe_password = auth_servers.passwords["alice"]
    env = {**os.environ, "KFDOCTOR_KEYCLOAK_PASSWORD": auth_servers.admin_password,
           "KFDOCTOR_PROBE_PASSWORD": probe_password}
    record = tmp_path / "rec"
    argv = [sys.executable, "-m", "kfdoctor", "check", *KEYCLOAK_CHECKS, *ACCESS_CHECKS,
            "--keycloak-url", auth_servers.keycloak_url, "--realm", auth_servers.realm, "--job", "5",
            "--job-url", auth_servers.envoy_url, "--probe-user", "alice", "--kubeconfig",
            str(seeded.kubeconfig), "--appdef", str(seeded.appdef_path), "--record", str(record),
            "-o", "json", "--fail-on", "fail"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert {r["check"] for r in data["results"]} == set(KEYCLOAK_CHECKS + ACCESS_CHECKS)
    assert rows(data["results"], "access_login_probe")[0]["cause"] == "access_gotty_header_conflict"
    recorded = "".join(p.read_text() for p in record.rglob("*") if p.is_file())
    texts = {"stdout": proc.stdout, "stderr": proc.stderr, "recording": recorded}
    # a cookie and tokens of the same user, to know their shape; none may appear anywhere
    login = browser_login(auth_servers.envoy_url, "alice", probe_password)
    secrets = {"keycloak admin password": auth_servers.admin_password, "probe password": probe_password,
               "cookie of this login": login.cookie}
    for where, text in texts.items():
        for what, value in secrets.items():
            assert value and value not in text, f"{what} found in {where}"
        assert not re.search(r"eyJ[\w-]{10,}\.[\w-]{10,}\.", text), f"a JWT in {where}"
        assert not re.search(r"oauth2_proxy_kubeflow=[\w-]{8,}", text), f"a cookie value in {where}"
        assert not re.search(r"[?&](code|state)=[\w-]{8,}", text), f"an OAuth code/state in {where}"
    # reported, not (yet) redacted by the recorder: the job client's secret in the client representation
    print("client secret in recording:", auth_servers.client_secret in recorded)
