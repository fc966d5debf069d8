"""kfdoctor fix for the Kubernetes remediations on the real apiserver: fix, repeat, undo."""
from __future__ import annotations

import json

import pytest

from tests.integration.fixhelp import cli, kube_args, snapshot
from tests.servers.job import JobSpec

pytestmark = pytest.mark.integration

OBJECTS = ("/api/v1/namespaces/knative-serving/configmaps/config-domain",
           "/api/v1/namespaces/knative-serving/configmaps/config-network",
           "/apis/networking.k8s.io/v1/namespaces/istio-system/ingresses/job-ingress",
           "/apis/security.istio.io/v1/namespaces/istio-system/authorizationpolicies/whitelist-by-paths",
           "/apis/storage.k8s.io/v1/storageclasses/local-path",
           "/apis/storage.k8s.io/v1/storageclasses/jarvice-user")

CASES = [  # (fault, check, extra fix options)
    ("kserve_domain_missing", "kserve_domain_configured", ()),
    ("user_host_missing", "kserve_user_hosts_exposed", ()),
    ("whitelist_policy_missing", "kserve_paths_whitelisted", ("--add-path", "/v1/metadata/*")),
    ("two_default_classes", "storage_default_class_unique", ("--default-class", "local-path")),
]


def statuses(seeded, check: str) -> set[str]:
    result = cli("check", check, *kube_args(seeded), "-o", "json")
    return {r["status"] for r in json.loads(result.stdout)["results"]}


@pytest.mark.parametrize("fault,check,extra", CASES, ids=[c[1] for c in CASES])
def test_fix_again_and_undo(kube_job, tmp_path, fault, check, extra):
    seeded = kube_job(JobSpec(faults=frozenset({fault})))
    before = snapshot(seeded, *OBJECTS)
    assert statuses(seeded, check) & {"fail", "warn"}

    quiet = cli("fix", check, *kube_args(seeded), *extra)
    assert "nothing changed" in quiet.stdout and snapshot(seeded, *OBJECTS) == before

    journal = tmp_path / "journal.json"
    result = cli("fix", check, *kube_args(seeded), *extra, "--yes", "--journal", journal)
    assert result.exit_code == 0, result.stdout
    assert "FIXED" in result.stdout and "NOT FIXED" not in result.stdout
    assert statuses(seeded, check) == {"pass"}
    fixed = snapshot(seeded, *OBJECTS)

    again = cli("fix", check, *kube_args(seeded), *extra, "--yes")
    assert again.exit_code == 0 and "nothing to fix" in again.stdout
    assert snapshot(seeded, *OBJECTS) == fixed

    undone = cli("fix", "--undo", journal, *kube_args(seeded))
    assert undone.exit_code == 0, undone.stdout
    assert snapshot(seeded, *OBJECTS) == before
    assert statuses(seeded, check) & {"fail", "warn"}


def test_several_problems_in_one_go(kube_job, tmp_path):
    faults = {"kserve_domain_missing", "user_host_missing", "whitelist_policy_missing",
              "two_default_classes"}
    seeded = kube_job(JobSpec(faults=frozenset(faults)))
    before = snapshot(seeded, *OBJECTS)
    checks = [c[1] for c in CASES]
    journal = tmp_path / "journal.json"
    html = tmp_path / "fix.html"
    result = cli("fix", *checks, *kube_args(seeded), "--default-class", "local-path", "--yes",
                 "--journal", journal, "-o", "json", "--report", html)
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["fix"]["journal"] == str(journal)
    outcomes = {(p["check"], p["outcome"]) for p in data["fix"]["plans"]}
    assert {c for c, _ in outcomes} == set(checks)
    assert all(o in ("FIXED", "UNCHANGED") for _, o in outcomes), outcomes
    assert all(p["diff"] and p["summary"] and p["risk"] for p in data["fix"]["plans"])
    after = cli("check", *checks, *kube_args(seeded), "-o", "json")
    assert {r["status"] for r in json.loads(after.stdout)["results"]} == {"pass"}
    assert html.exists()
    assert cli("fix", "--undo", journal, *kube_args(seeded)).exit_code == 0
    assert snapshot(seeded, *OBJECTS) == before


def test_check_fix_reports_first_then_fixes(kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"kserve_domain_missing"})))
    result = cli("check", "kserve_domain_configured", *kube_args(seeded), "--fix", "--yes",
                 env={"XDG_STATE_HOME": str(tmp_path)})
    assert list((tmp_path / "kfdoctor" / "journals").glob("fix-*.json"))
    out = result.stdout
    assert "journal:" in out and "FIXED" in out
    assert out.index("kserve_domain_configured") < out.index("journal:")
    assert statuses(seeded, "kserve_domain_configured") == {"pass"}
    assert result.exit_code == 0, out
