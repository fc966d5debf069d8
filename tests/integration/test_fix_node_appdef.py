"""kfdoctor fix on the real apiserver: node_inotify_limits (the sysctl-config DaemonSet or host
commands) and appdef_sysctl_config_consistent (a corrected AppDef beside the original)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kfdoctor.fixing.journal import Journal
from tests.integration.fixhelp import cli, cli_while, fix_json, kube_args, snapshot
from tests.servers.job import JobSpec
from tests.servers.seed_kube import play_daemonset_controller, play_kubelet_for_probe_pods

pytestmark = pytest.mark.integration
DS = "/apis/apps/v1/namespaces/kube-system/daemonsets/sysctl-config"
THRESHOLDS = {"max_user_instances": 1280, "max_user_watches": 655360}


def fix_while_nodes_run(seeded, *args, rollout_after: float = 3.0, node_values: dict | None = None):
    """Run ``kfdoctor fix *args`` while this thread plays the DaemonSet controller (the
    sysctl-config DaemonSet rolls out ``rollout_after`` seconds after it appears) and, given
    ``node_values``, the kubelets: node-probe pods report them, raised to the thresholds once the
    DaemonSet has run. Returns (the CLI result, seconds from creation to rollout or None)."""
    kubeconfig = str(seeded.kubeconfig)
    created = rolled = None

    def play() -> None:
        nonlocal created, rolled
        if created is None and isinstance(snapshot(seeded, DS)[DS], dict):   # else "absent: …"
            created = time.monotonic()
        if created and rolled is None and time.monotonic() - created >= rollout_after:
            if play_daemonset_controller(kubeconfig, "kube-system", "sysctl-config"):
                rolled = time.monotonic() - created
                for values in (node_values or {}).values():
                    values.update({k: max(values[k], v) for k, v in THRESHOLDS.items()})
        if node_values is not None:
            play_kubelet_for_probe_pods(kubeconfig, "kube-system", node_values)

    return cli_while(play, "fix", *args), rolled


def statuses(check: str, *args) -> set[str]:
    result = cli("check", check, *args, "-o", "json")
    return {r["status"] for r in json.loads(result.stdout)["results"]}


def test_inotify_daemonset_fix_again_host_commands_and_undo(kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"no_sysctl_daemonset"})))
    args = [*kube_args(seeded), "--host-root", str(seeded.host_root)]
    check = "node_inotify_limits"
    before = snapshot(seeded, DS)
    assert before[DS].startswith("absent") and "fail" in statuses(check, *args)

    # no terminal and no --yes: nothing changes; --yes alone leaves a disruptive plan alone
    quiet = cli("fix", check, *args, "--allow-disruptive")
    assert "nothing changed" in quiet.stdout and snapshot(seeded, DS) == before
    assert "may not reach the host" in quiet.stdout          # the vcluster caveat, in the plan
    assert "sysctl --system" in quiet.stdout                  # the host commands as the sure fix
    skipped = cli("fix", check, *args, "--yes")
    assert "--allow-disruptive" in skipped.stdout and "nothing changed" in skipped.stdout
    assert snapshot(seeded, DS) == before

    journal = tmp_path / "journal.json"
    result, rolled = fix_while_nodes_run(seeded, check, *args, "--yes", "--allow-disruptive",
                                         "--journal", journal, "-o", "json")
    plans = fix_json(result)["fix"]["plans"]
    # the DaemonSet rolled out, but its pods cannot reach the fake host root (as inside a KNS
    # vcluster): the host keeps its low values and the outcome says so, honestly
    assert rolled is not None
    assert [(p["check"], p["outcome"]) for p in plans] == [(check, "NOT FIXED")], plans
    assert "the check still reports" in plans[0]["reason"] and result.exit_code == 1
    ds = snapshot(seeded, DS)[DS]
    pod = ds["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"operator": "Exists"}]
    assert pod["initContainers"][0]["securityContext"]["privileged"] is True
    script = pod["initContainers"][0]["command"][-1]
    assert "sysctl -w fs.inotify.max_user_instances=1280" in script
    assert "sysctl -w fs.inotify.max_user_watches=655360" in script
    assert "privileged" not in json.dumps(pod["containers"])

    # again: the DaemonSet is there, nothing changes and the run says why
    fixed = snapshot(seeded, DS)
    again = cli("fix", check, *args, "--yes", "--allow-disruptive", "--journal",
                tmp_path / "again.json")
    assert "nothing changed" in again.stdout and "manual only" in again.stdout
    assert "which sets max_user_instances/max_user_watches to 1280/655360" in again.stdout
    assert snapshot(seeded, DS) == fixed

    # --print-host-commands: a printed plan, nothing run
    host = cli("fix", check, *args, "--yes", "--print-host-commands")
    assert "sysctl -w fs.inotify.max_user_instances=1280" in host.stdout
    assert "/etc/sysctl.d/99-kubeflow-inotify.conf" in host.stdout
    assert "fs.inotify.max_user_watches = 655360" in host.stdout and "nothing changed" in host.stdout
    assert snapshot(seeded, DS) == fixed

    undone = cli("fix", "--undo", journal, *kube_args(seeded))
    assert undone.exit_code == 0, undone.stdout
    assert "deleted (the fix had created it)" in undone.stdout
    assert snapshot(seeded, DS) == before
    assert Journal.load(journal).data["status"] == "undone"


def test_inotify_fix_waits_for_the_daemonset_rollout_then_the_node_probe_sees_the_values(
        kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"no_sysctl_daemonset"})))
    low = sorted(seeded.node_inotify)[1]
    values = {node: dict(v) if node == low else dict(THRESHOLDS)
              for node, v in seeded.node_inotify.items()}
    assert values[low]["max_user_instances"] < 1280
    args = [*kube_args(seeded), "--node-probe"]
    journal = tmp_path / "journal.json"

    result, rolled = fix_while_nodes_run(seeded, "node_inotify_limits", *args, "--yes",
                                         "--allow-disruptive", "--journal", journal, "-o", "json",
                                         node_values=values)

    plans = fix_json(result)["fix"]["plans"]
    assert rolled is not None and result.exit_code == 0, result.stdout[-2000:]
    assert [(p["resource"]["name"], p["outcome"]) for p in plans] == [(low, "FIXED")], plans
    assert "the check passes" in plans[0]["reason"]
    waits = [a for entry in Journal.load(journal).data["plans"] for a in entry["actions"]
             if a["action"]["type"] == "KubeAwaitRollout" and a["state"] == "applied"]
    assert waits and waits[0]["result"]["rolled_out"] is True
    assert waits[0]["result"]["waited_s"] >= 2          # it waited for the controller, not by luck

    undone = cli("fix", "--undo", journal, *kube_args(seeded))
    assert undone.exit_code == 0 and snapshot(seeded, DS)[DS].startswith("absent"), undone.stdout


def test_appdef_copy_with_sysctl_config_back_again_and_undo(kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"no_sysctl_daemonset"})))
    check = "appdef_sysctl_config_consistent"
    original = Path(seeded.appdef_path)
    copy = original.with_name(original.stem + ".fixed.json")
    text = original.read_text()
    args = [*kube_args(seeded), "--host-root", str(seeded.host_root), "--appdef", str(original)]
    assert "fail" in statuses(check, *args)

    quiet = cli("fix", check, *args)
    assert "nothing changed" in quiet.stdout and not copy.exists()

    journal = tmp_path / "journal.json"
    result = cli("fix", check, *args, "--yes", "--journal", journal, "-o", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    plan = fix_json(result)["fix"]["plans"][0]
    assert plan["outcome"] == "FIXED", plan
    assert any(line.lstrip().startswith('+') and '"name": "sysctl-config"' in line
               for line in plan["diff"].splitlines())
    assert original.read_text() == text                      # never in place
    kns = json.loads(copy.read_text())["commands"]["Kubeflow"]["nestedkubernetes"]
    names = [t["name"] for t in kns["templates"]]
    assert names[names.index("nswatcher") + 1] == "sysctl-config"
    assert statuses(check, *args[:-1], str(copy)) == {"pass"}
    written = copy.read_text()

    again = cli("fix", check, *args, "--yes", "--journal", tmp_path / "again.json")
    assert "nothing changed, already in place" in again.stdout and "the check passes" in again.stdout
    assert copy.read_text() == written

    undone = cli("fix", "--undo", journal, *kube_args(seeded))
    assert undone.exit_code == 0, undone.stdout
    assert not copy.exists() and original.read_text() == text
