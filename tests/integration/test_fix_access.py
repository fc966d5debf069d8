"""kfdoctor fix access_gotty_header_conflict: the Lua EnvoyFilter on the real apiserver, applied
to the test Envoy gateway by the test playing istiod, and the check re-run until it passes."""
from __future__ import annotations

import json

import pytest
from kubernetes import client, config

from kfdoctor.appdef import GOTTY_PATH
from kfdoctor.fixing.journal import Journal
from tests.integration.fixhelp import cli, cli_while, fix_json, kube_args, snapshot
from tests.servers.job import JobSpec

pytestmark = pytest.mark.integration
CHECK = "access_gotty_header_conflict"
EF = ("/apis/networking.istio.io/v1alpha3/namespaces/istio-system/envoyfilters/"
      "kfdoctor-drop-gotty-basic-auth")


def play_istiod(auth, seeded) -> None:
    """Push the EnvoyFilters of the apiserver to the test gateway (restarting it when they change)."""
    api = client.CustomObjectsApi(config.new_client_from_config(config_file=str(seeded.kubeconfig)))
    items = api.list_cluster_custom_object("networking.istio.io", "v1alpha3", "envoyfilters")["items"]
    auth.apply_envoy_filters([item["spec"] for item in items])


def while_istiod_runs(auth, seeded, *args: str, delay: float = 2.0):
    """Run ``kfdoctor *args`` while this thread plays istiod, ``delay`` seconds behind."""
    result = cli_while(lambda: play_istiod(auth, seeded), *args, every=delay)
    play_istiod(auth, seeded)
    return result


def test_envoy_filter_fix_again_and_undo(auth_servers, kube_job, tmp_path):
    try:
        envoy_filter_fix_again_and_undo(auth_servers, kube_job, tmp_path)
    finally:
        auth_servers.apply_envoy_filters([])


def envoy_filter_fix_again_and_undo(auth_servers, kube_job, tmp_path):
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
    result = while_istiod_runs(auth_servers, seeded, "fix", CHECK, *args, "--yes",
                               "--allow-disruptive", "--journal", journal, "-o", "json")
    plan = fix_json(result)["fix"]["plans"][0]
    # the first re-check meets the gateway without the filter; it is re-checked until istiod
    # (this test, two seconds behind) has pushed it
    assert plan["outcome"] == "FIXED" and "the check passes" in plan["reason"], plan
    assert result.exit_code == 0
    spec = snapshot(seeded, EF)[EF]["spec"]
    assert spec["workloadSelector"] == {"labels": {"istio": "ingressgateway"}}
    patch = spec["configPatches"][0]
    assert patch["applyTo"] == "HTTP_FILTER" and patch["patch"]["operation"] == "INSERT_FIRST"
    lua = patch["patch"]["value"]["typed_config"]["inlineCode"]
    assert 'headers:remove("authorization")' in lua and '"basic "' in lua
    assert f'local prefix = "{GOTTY_PATH}"' in lua

    fixed = snapshot(seeded, EF)
    again = cli("fix", CHECK, *args, "--yes", "--allow-disruptive", "--journal",
                tmp_path / "again.json")
    assert "nothing to fix" in again.stdout, again.stdout
    assert snapshot(seeded, EF) == fixed

    undone = while_istiod_runs(auth_servers, seeded, "fix", "--undo", journal, *kube_args(seeded),
                               delay=0.2)
    assert undone.exit_code == 0, undone.stdout
    assert snapshot(seeded, EF) == before
    assert Journal.load(journal).data["status"] == "undone"
    assert "fail" in {r["status"] for r in json.loads(cli("check", CHECK, *args, "-o", "json")
                                                       .stdout)["results"]}
