"""kfdoctor fix for the Keycloak remediations against a real Keycloak (and the real apiserver)."""
from __future__ import annotations

import json
import os
import signal

import pytest

from kfdoctor.fixing import fixer
from kfdoctor.fixing.journal import Journal
from kfdoctor.fixing.options import FixOptions
from kfdoctor.run import Selection, execute
from kfdoctor.settings import Settings
from kfdoctor.sources.tape import Tape
from tests.integration.fixhelp import cli, snapshot
from tests.servers.job import JobSpec
from tests.servers.keycloak import start_keycloak
from tests.servers.seed_keycloak import admin_client, seed_keycloak

pytestmark = pytest.mark.integration
ADMIN = "kfdfix"          # a realm of its own: the shared session realm (jdoe) is left alone
SC = "/apis/storage.k8s.io/v1/storageclasses"


def spec(*faults: str) -> JobSpec:
    return JobSpec(admin=ADMIN, faults=frozenset(faults))


@pytest.fixture
def job(kube_job, keycloak_server):
    """Seed kube and Keycloak with the same faults; returns (seeded kube, args, env, kc)."""
    def seed(*faults: str, kc=None):
        kc = kc or keycloak_server
        job_spec = spec(*faults)
        seeded = kube_job(job_spec)
        seed_keycloak(kc.url, kc.admin_user, kc.admin_password, job_spec,
                      "https://job.example.org/oauth2/callback")
        args = ["--kubeconfig", str(seeded.kubeconfig), "--keycloak-url", kc.url,
                "--realm", job_spec.realm, "--job", str(job_spec.number)]
        env = {"KFDOCTOR_KEYCLOAK_PASSWORD": kc.admin_password}
        return seeded, args, env, kc
    return seed


def keycloak_state(kc, realm: str = ADMIN) -> dict:
    """The realm, the job client, its mappers, every user and their client roles."""
    admin = admin_client(kc.url, kc.admin_user, kc.admin_password)
    admin.change_current_realm(realm)
    client = admin.get_client(admin.get_client_id(spec().client_id))
    users = {u["username"]: u for u in admin.get_users()}
    roles = {name: sorted(r["name"] for r in admin.get_client_roles_of_user(u["id"], client["id"]))
             for name, u in users.items()}
    mappers = sorted(admin.get_mappers_from_client(client["id"]), key=lambda m: m["name"])
    for mapper in mappers:
        mapper.pop("id")
    realm_rep = admin.get_realm(realm)
    return {"realm": {k: v for k, v in realm_rep.items() if "Lifespan" in k or "Timeout" in k},
            "client": client, "mappers": mappers, "users": users, "roles": roles}


def statuses(args, env, check) -> set[str]:
    result = cli("check", check, *args, "-o", "json", env=env)
    return {r["status"] for r in json.loads(result.stdout)["results"]}


CASES = [
    ("no_audience_mapper", "keycloak_audience_mapper", ()),
    ("audience_mapper_wrong", "keycloak_audience_mapper", ()),
    ("short_token_lifespan", "keycloak_token_lifespan", ()),
    ("short_token_lifespan", "keycloak_token_lifespan", ("--realm-wide",)),
    ("unverified_user", "keycloak_users_email_verified", ("--email-policy", "trust")),
    ("user_without_role", "keycloak_users_have_role", ()),
]


@pytest.mark.parametrize("fault,check,extra", CASES,
                         ids=[f"{c[1]}{'-' + c[2][0].strip('-') if c[2] else ''}" for c in CASES])
def test_fix_again_and_undo(job, tmp_path, fault, check, extra):
    seeded, args, env, kc = job(fault)
    before = keycloak_state(kc)
    assert statuses(args, env, check) & {"fail", "warn"}

    quiet = cli("fix", check, *args, *extra, env=env)
    assert "nothing changed" in quiet.stdout and keycloak_state(kc) == before

    journal = tmp_path / "journal.json"
    result = cli("fix", check, *args, *extra, "--yes", "--journal", journal, env=env)
    assert result.exit_code == 0, result.stdout
    assert "FIXED" in result.stdout and "NOT FIXED" not in result.stdout
    assert statuses(args, env, check) == {"pass"}
    fixed = keycloak_state(kc)

    again = cli("fix", check, *args, *extra, "--yes", env=env)
    assert again.exit_code == 0 and "nothing to fix" in again.stdout, again.stdout
    assert keycloak_state(kc) == fixed

    undone = cli("fix", "--undo", journal, *args, env=env)
    assert undone.exit_code == 0, undone.stdout
    assert keycloak_state(kc) == before


def test_send_policy_without_smtp_says_the_mail_cannot_go(job, tmp_path):
    seeded, args, env, kc = job("unverified_user")
    before = keycloak_state(kc)
    result = cli("fix", "keycloak_users_email_verified", *args, "--email-policy", "send", "--yes",
                 "--journal", tmp_path / "j.json", env=env)
    assert result.exit_code == 1
    assert "FAILED" in result.stdout and "the mail cannot go" in result.stdout
    assert "No sender address" in result.stdout or "Failed to send" in result.stdout
    assert keycloak_state(kc) == before


def test_users_without_a_keycloak_user_are_manual(job):
    seeded, args, env, kc = job("profile_owner_without_user")
    result = cli("fix", "keycloak_users_have_role", *args, "--yes", env=env)
    assert "never creates users" in result.stdout


def test_keycloak_dies_half_way_and_undo_restores_what_was_applied(kube_job, tmp_path):
    """Keycloak is killed after the first applied change; the journal lets --undo restore all."""
    kc = start_keycloak(tmp_path / "kc-logs")
    try:
        faults = ("no_audience_mapper", "short_token_lifespan", "unverified_user",
                  "two_default_classes")
        job_spec = spec(*faults)
        seeded = kube_job(job_spec)
        seed_keycloak(kc.url, kc.admin_user, kc.admin_password, job_spec,
                      "https://job.example.org/oauth2/callback")
        kc_before = keycloak_state(kc)
        classes = [f"{SC}/local-path", f"{SC}/jarvice-user"]
        kube_before = snapshot(seeded, *classes)
        settings = Settings(kubeconfig=str(seeded.kubeconfig), keycloak_url=kc.url,
                            realm=job_spec.realm, keycloak_password=kc.admin_password,
                            job=job_spec.number)
        options = FixOptions(default_class="local-path", email_policy="trust")
        outcome = execute(settings, Selection(["keycloak_audience_mapper",
                                               "keycloak_token_lifespan",
                                               "keycloak_users_email_verified",
                                               "storage_default_class_unique"]),
                          Tape("live"), values={"fix_options": options})
        fixes = fixer.gather(outcome)
        outcome.runner.close()
        journal = Journal.create(tmp_path / "journal.json", settings.public())

        def kill_after_first_keycloak_change(fix, action):
            if action.target == "keycloak" and kc.process.alive():
                os.killpg(kc.process.pid, signal.SIGKILL)
                kc.process.proc.wait(30)
        fixer.apply(fixes, settings, journal, lambda text: None,
                    on_applied=kill_after_first_keycloak_change)
        fixer.verify(fixes, settings, options, journal)
        journal.finish()
        outcomes = {f.plan.check: f.outcome for f in fixes}
        assert outcomes["keycloak_token_lifespan"] == fixer.FAILED
        assert outcomes["keycloak_users_email_verified"] == fixer.FAILED
        assert outcomes["storage_default_class_unique"] == fixer.FIXED
        saved = json.loads((tmp_path / "journal.json").read_text())
        states = [a["state"] for p in saved["plans"] for a in p["actions"]]
        assert states.count("applied") == 2 and "not-applied" in states

        # undo while Keycloak is down: the cluster is restored, the Keycloak change reported
        down = cli("fix", "--undo", tmp_path / "journal.json",
                   env={"KFDOCTOR_KEYCLOAK_PASSWORD": kc.admin_password})
        assert down.exit_code == 1 and "could NOT restore 1" in down.stdout, down.stdout
        assert snapshot(seeded, *classes) == kube_before

        # Keycloak back (same home, same database): undo again restores the rest
        kc.process.start()
        kc.process.wait_ready(kc.ready, timeout=180, interval=0.5)
        up = cli("fix", "--undo", tmp_path / "journal.json",
                 env={"KFDOCTOR_KEYCLOAK_PASSWORD": kc.admin_password})
        assert up.exit_code == 0, up.stdout
        assert keycloak_state(kc) == kc_before
        assert Journal.load(tmp_path / "journal.json").data["status"] == "undone"
    finally:
        kc.stop()
