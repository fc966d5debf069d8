"""kfdoctor fix access_gotty_header_conflict: the Lua EnvoyFilter on the real apiserver, the check
re-run against the test Envoy gateway (which reads no EnvoyFilter, so it honestly stays NOT FIXED)."""
from __future__ import annotations

import pytest

from kfdoctor.appdef import GOTTY_PATH
from kfdoctor.fixing.journal import Journal
from tests.integration.fixhelp import cli, fix_json, kube_args, snapshot
from tests.servers.job import JobSpec

pytestmark = pytest.mark.integration
CHECK = "access_gotty_header_conflict"
EF = ("/apis/networking.istio.io/v1alpha3/namespaces/istio-system/envoyfilters/"
      "kfdoctor-drop-gotty-basic-auth")


def test_envoy_filter_fix_again_and_undo(auth_servers, kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"gotty_enabled"})))
    args = [*kube_args(seeded), "--appdef", str(seeded.appdef_path), "--job-url",
            auth_servers.envoy_url]
    before = snapshot(seeded, EF)
    assert before[EF].startswith("absent")

    quiet = cli("fix", CHECK, *args, "--allow-disruptive")
    assert "nothing changed" in quiet.stdout and snapshot(seeded, EF) == before
    assert "private window" in quiet.stdout and "clear the site's data" in quiet.stdout
    skipped = cli("fix", CHECK, *args, "--yes")
    assert "--allow-disruptive" in skipped.stdout and snapshot(seeded, EF) == before

    journal = tmp_path / "journal.json"
    result = cli("fix", CHECK, *args, "--yes", "--allow-disruptive", "--journal", journal,
                 "-o", "json")
    plan = fix_json(result)["fix"]["plans"][0]
    assert plan["outcome"] == "NOT FIXED" and "403 'RBAC: access denied'" in plan["reason"], plan
    assert "does not read EnvoyFilters" in plan["reason"] and result.exit_code == 1
    spec = snapshot(seeded, EF)[EF]["spec"]
    assert spec["workloadSelector"] == {"labels": {"istio": "ingressgateway"}}
    patch = spec["configPatches"][0]
    assert patch["applyTo"] == "HTTP_FILTER" and patch["patch"]["operation"] == "INSERT_BEFORE"
    assert patch["match"]["listener"]["filterChain"]["filter"]["subFilter"] == {
        "name": "envoy.filters.http.ext_authz"}
    lua = patch["patch"]["value"]["typed_config"]["inlineCode"]
    assert 'headers:remove("authorization")' in lua and '"basic "' in lua
    assert f'local prefix = "{GOTTY_PATH}"' in lua

    fixed = snapshot(seeded, EF)
    again = cli("fix", CHECK, *args, "--yes", "--allow-disruptive", "--journal",
                tmp_path / "again.json")
    assert "already installed" in again.stdout and "nothing changed" in again.stdout
    assert snapshot(seeded, EF) == fixed

    undone = cli("fix", "--undo", journal, *kube_args(seeded))
    assert undone.exit_code == 0, undone.stdout
    assert snapshot(seeded, EF) == before
    assert Journal.load(journal).data["status"] == "undone"
