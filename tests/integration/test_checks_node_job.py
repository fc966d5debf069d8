"""node_inotify_limits (host, node probe, DaemonSet), appdef_sysctl_config_consistent,
pods_too_many_open_files, jarvice_appdef_valid and jarvice_job_state against the real
kube-apiserver and the stand-in JARVICE API, each fault switched on and off.

Run: python -m pytest -p tests.servers.kube_fixtures tests/integration/test_checks_node_job.py
"""
from __future__ import annotations

import threading
import time

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from kfdoctor.fixtures.node_probe import APP_LABEL, APP_NAME, NodeProbe
from kfdoctor.run import Selection, execute
from kfdoctor.settings import Settings
from kfdoctor.sources.kube import KubeOptions, KubeSource
from kfdoctor.sources.tape import Tape
from tests.servers import seed_objects as so
from tests.servers.job import JobSpec
from tests.servers.seed_kube import play_kubelet_for_probe_pods

pytestmark = pytest.mark.integration
PROBE_SELECTOR = f"{APP_LABEL}={APP_NAME}"
PROBE_NS = "kube-system"


def run(check_id: str, **settings) -> list[dict]:
    outcome = execute(Settings(**settings), Selection(ids=[check_id]), Tape("live"))
    try:
        return outcome.result.results
    finally:
        outcome.runner.close()


def by(rows: list[dict], status: str, name: str | None = None) -> list[dict]:
    return [r for r in rows if r["status"] == status and (name is None or r["resource"]["name"] == name)]


def statuses(rows: list[dict]) -> list[tuple[str, str, str]]:
    return [(r["status"], r["resource"]["kind"], r["resource"]["name"]) for r in rows]


def probe_pods(kube_server) -> list:
    core = client.CoreV1Api(kube_server.api_client())
    return core.list_namespaced_pod(PROBE_NS, label_selector=PROBE_SELECTOR).items


def run_with_kubelet(cluster, check_id: str, values: dict | None, timeout: float = 20, **settings):
    """Run ``check_id`` with --node-probe while this thread plays kubelet (values=None: nobody
    does). Returns (rows, the most probe pods seen at once, pods completed by the kubelet)."""
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(rows=run(
        check_id, kubeconfig=cluster.kubeconfig, node_probe=True, node_probe_timeout=timeout,
        check_timeout=timeout + 30, **settings)))
    thread.start()
    seen, completed = 0, set()
    api = client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))
    while thread.is_alive():
        pods = api.list_namespaced_pod(PROBE_NS, label_selector=PROBE_SELECTOR).items
        seen = max(seen, len(pods))
        waiting = {p.metadata.name for p in pods if p.status.phase != "Succeeded"}
        if values is not None and waiting:
            play_kubelet_for_probe_pods(cluster.kubeconfig, PROBE_NS, values)
            completed |= waiting
        time.sleep(0.2)
    thread.join()
    return out["rows"], seen, len(completed)


# --- node_inotify_limits -------------------------------------------------------------------------

def test_inotify_not_measured_reads_the_sysctl_config_daemonset(kube_job):
    cluster = kube_job(JobSpec())
    rows = run("node_inotify_limits", kubeconfig=cluster.kubeconfig)
    assert statuses(rows) == [("pass", "DaemonSet", "sysctl-config")]
    assert "not measured: the sysctl-config DaemonSet kube-system/sysctl-config, which sets " \
           "max_user_instances/max_user_watches to 1280/655360, is ready on 3/3 nodes" in rows[0]["message"]


def test_inotify_without_daemonset_nor_data_skips_and_says_how(kube_job):
    cluster = kube_job(JobSpec(faults=frozenset({"no_sysctl_daemonset"})))
    rows = run("node_inotify_limits", kubeconfig=cluster.kubeconfig, appdef=str(cluster.appdef_path))
    assert [r["status"] for r in rows] == ["skip"]
    assert "--node-probe" in rows[0]["message"] and "--host-root /" in rows[0]["message"]


@pytest.mark.parametrize("faults,status", [((), "pass"), (("low_inotify",), "fail")])
def test_inotify_from_the_host_root(kube_job, faults, status):
    cluster = kube_job(JobSpec(faults=frozenset(faults)))
    rows = run("node_inotify_limits", kubeconfig=cluster.kubeconfig, host_root=str(cluster.host_root))
    judged = [r for r in rows if r["status"] in ("pass", "fail")]
    assert [(r["status"], r["resource"]["kind"]) for r in judged] == [(status, "Host")]
    if status == "fail":
        assert "max_user_instances=128 (expected >= 1280)" in judged[0]["message"]
    # the fake root has no kernel/hostname: the cluster's nodes stay unmeasured, and say why
    assert {r["resource"]["name"] for r in by(rows, "skip")} == set(cluster.nodes)


@pytest.mark.parametrize("faults", [(), ("low_inotify",)])
def test_node_probe_measures_every_node_and_deletes_its_pods(kube_job, kube_server, faults):
    cluster = kube_job(JobSpec(faults=frozenset(faults)))
    rows, seen, completed = run_with_kubelet(cluster, "node_inotify_limits", cluster.node_inotify)
    assert seen == len(cluster.nodes) and completed == len(cluster.nodes)
    assert probe_pods(kube_server) == []                       # all deleted
    expected = {n: "fail" if v["max_user_instances"] < 1280 else "pass"
                for n, v in cluster.node_inotify.items()}
    assert {r["resource"]["name"]: r["status"] for r in rows} == expected
    if faults:
        bad = by(rows, "fail", so.NODES[1])[0]
        assert bad["resource"]["kind"] == "Node"
        assert "max_user_instances=128 (expected >= 1280) and max_user_watches=8192" in bad["message"]
        assert bad["evidence"]["source"] == "node-probe"


def test_node_probe_timeout_deletes_its_pods(kube_job, kube_server):
    cluster = kube_job(JobSpec())
    started = time.monotonic()
    rows, seen, _ = run_with_kubelet(cluster, "node_inotify_limits", None, timeout=2)
    assert time.monotonic() - started < 20
    assert seen == len(cluster.nodes)                          # the pods were there...
    assert probe_pods(kube_server) == []                       # ...and are gone
    assert {r["resource"]["name"] for r in by(rows, "skip")} == set(cluster.nodes)
    assert all("timed out after 2s" in r["message"] for r in rows)


def test_node_probe_pod_is_pinned_unprivileged_and_reports_by_termination_message(kube_job, kube_server):
    cluster = kube_job(JobSpec())
    captured: list = []
    thread = threading.Thread(target=lambda: run("node_inotify_limits", kubeconfig=cluster.kubeconfig,
                                                 node_probe=True, node_probe_timeout=3))
    thread.start()
    while thread.is_alive() and not captured:
        captured = probe_pods(kube_server)
        time.sleep(0.05)
    thread.join()
    pod = client.ApiClient().sanitize_for_serialization(captured[0])
    spec = pod["spec"]
    assert spec["nodeName"] in cluster.nodes and spec["restartPolicy"] == "Never"
    assert spec["tolerations"] == [{"operator": "Exists"}]
    container = spec["containers"][0]
    assert container["image"] == Settings().node_probe_image
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert "/proc/sys/fs/inotify/max_user_watches" in container["command"][-1]
    assert not (container.get("securityContext") or {}).get("privileged")
    assert probe_pods(kube_server) == []


class _InterruptingKube:
    """The real KubeSource, but Ctrl-C arrives during the first poll."""

    def __init__(self, kube):
        self.kube = kube
        self.polls = 0

    def write(self, *args, **kwargs):
        return self.kube.write(*args, **kwargs)

    def list(self, *args, **kwargs):
        self.polls += 1
        if self.polls == 1:
            raise KeyboardInterrupt
        return self.kube.list(*args, **kwargs)


def test_node_probe_deletes_its_pods_on_keyboard_interrupt(kube_job, kube_server):
    cluster = kube_job(JobSpec())
    kube = KubeSource(Tape("live"), KubeOptions(cluster.kubeconfig)).open()
    probe = NodeProbe(_InterruptingKube(kube), PROBE_NS, "busybox:1.36", timeout=30)
    with pytest.raises(KeyboardInterrupt):
        probe.run(list(cluster.nodes))
    assert len(probe.created) == len(cluster.nodes)
    assert probe_pods(kube_server) == []


def test_node_probe_namespace_missing_is_an_error_naming_the_option(kube_job, kube_server):
    cluster = kube_job(JobSpec())
    rows = run("node_inotify_limits", kubeconfig=cluster.kubeconfig, node_probe=True,
               node_probe_namespace="no-such-namespace", node_probe_timeout=2)
    assert [r["status"] for r in rows] == ["error"]
    assert "namespace 'no-such-namespace' does not exist" in rows[0]["message"]


# --- appdef_sysctl_config_consistent -------------------------------------------------------------

@pytest.mark.parametrize("faults,status,words", [
    ((), "pass", "which its DaemonSet kube-system/sysctl-config sets"),          # launched: the DaemonSet sets them
    (("low_inotify",), "pass", "which 1 nodes need"),                # a node lacks them: keep it
    (("no_sysctl_daemonset",), "fail", "drops the sysctl-config app while 3 nodes lack"),
])
def test_appdef_sysctl_config_consistent(kube_job, faults, status, words):
    cluster = kube_job(JobSpec(faults=frozenset(faults)))
    rows, _, _ = run_with_kubelet(cluster, "appdef_sysctl_config_consistent", cluster.node_inotify,
                                  appdef=str(cluster.appdef_path))
    assert [(r["status"], r["resource"]["kind"]) for r in rows] == [(status, "AppDef")]
    assert words in rows[0]["message"]


def test_appdef_keeps_sysctl_config_before_launch_while_hosts_have_the_values(kube_job, kube_server):
    cluster = kube_job(JobSpec())
    from kubernetes import client  # before launch: the hosts have the values, no DaemonSet yet
    client.AppsV1Api(kube_server.api_client()).delete_namespaced_daemon_set("sysctl-config",
                                                                            "kube-system")
    rows, _, _ = run_with_kubelet(cluster, "appdef_sysctl_config_consistent", cluster.node_inotify,
                                  appdef=str(cluster.appdef_path))
    assert [(r["status"], r["resource"]["kind"]) for r in rows] == [("warn", "AppDef")]
    assert "keeps the privileged sysctl-config app" in rows[0]["message"]


# --- pods_too_many_open_files --------------------------------------------------------------------

@pytest.mark.parametrize("fault", [False, True])
def test_pods_too_many_open_files(kube_job, fault):
    cluster = kube_job(JobSpec(faults=frozenset({"pods_too_many_open_files"} if fault else ())))
    rows = run("pods_too_many_open_files", kubeconfig=cluster.kubeconfig)
    if not fault:
        assert [r["status"] for r in rows] == ["pass"]
        return
    failed = by(rows, "fail")
    assert {r["resource"]["name"].rsplit("-", 2)[0] for r in failed} == {"profiles-deployment", "ml-pipeline"}
    assert all(r["cause"] == "node_inotify_limits" and r["resource"]["namespace"] == "kubeflow" for r in failed)
    profiles = next(r for r in failed if r["resource"]["name"].startswith("profiles-deployment"))
    assert "Failed to start file watcher: too many open files" in profiles["message"]
    assert "CrashLoopBackOff" in profiles["message"]


# --- jarvice_appdef_valid ------------------------------------------------------------------------

@pytest.mark.parametrize("faults,status,words", [
    ((), "pass", "GoTTY shell disabled) names 14 components"),
    (("gotty_enabled",), "pass", "GoTTY shell enabled"),
    (("appdef_invalid",), "fail", "this looks like the admin guide's section 2.1 opt-out example"),
])
def test_jarvice_appdef_valid(kube_job, faults, status, words):
    cluster = kube_job(JobSpec(faults=frozenset(faults)))
    rows = run("jarvice_appdef_valid", appdef=str(cluster.appdef_path))
    assert [(r["status"], r["resource"]["kind"]) for r in rows] == [(status, "AppDef")]
    assert words in rows[0]["message"]
    if status == "fail":
        assert "invalid JSON at line" in rows[0]["message"]


# --- jarvice_job_state and live_job --------------------------------------------------------------

@pytest.fixture
def suspended(jarvice_api):
    job = jarvice_api.jobs[JobSpec().number]
    job.suspend()
    yield job
    job.resume()


def jarvice_settings(api, cluster) -> dict:
    return {"kubeconfig": cluster.kubeconfig, "jarvice_url": api.url, "jarvice_user": api.username,
            "jarvice_apikey": api.apikey, "job": JobSpec().number}


def test_job_running(kube_job, jarvice_api):
    cluster = kube_job(JobSpec())
    rows = run("jarvice_job_state", **jarvice_settings(jarvice_api, cluster))
    assert statuses(rows) == [("pass", "JarviceJob", "5")]
    assert "PROCESSING STARTING" in rows[0]["message"]


def test_job_suspended_and_live_checks_skip(kube_job, jarvice_api, suspended):
    cluster = kube_job(JobSpec(faults=frozenset({"pods_too_many_open_files"})))
    rows = run("jarvice_job_state", **jarvice_settings(jarvice_api, cluster))
    assert statuses(rows) == [("warn", "JarviceJob", "5")]
    assert "job 5 is suspended by user" in rows[0]["message"]
    rows = run("pods_too_many_open_files", **jarvice_settings(jarvice_api, cluster))
    assert [r["status"] for r in rows] == ["skip"]
    assert rows[0]["message"].startswith("job 5 is suspended by user (")


def test_job_suspended_with_pods_left_in_its_namespace(kube_job, kube_server, jarvice_api, suspended):
    cluster = kube_job(JobSpec())
    core = client.CoreV1Api(kube_server.api_client())
    try:   # namespaces cannot be deleted here (no namespace controller): create once, seed-labelled
        core.create_namespace({"metadata": {"name": "kns-job-5", "labels": {so.SEED_LABEL: "true"}}})
    except ApiException as error:
        assert error.status == 409
    core.create_namespaced_pod("kns-job-5", {
        "metadata": {"name": "vcluster-0", "labels": {so.SEED_LABEL: "true"}},
        "spec": {"nodeName": so.NODES[0], "containers": [{"name": "syncer", "image": "vcluster:0.20"}]}})
    rows = run("jarvice_job_state", **jarvice_settings(jarvice_api, cluster))
    left = by(rows, "fail")
    assert [(r["resource"]["kind"], r["resource"]["name"]) for r in left] == [("Namespace", "kns-job-5")]
    assert "1 pods still run in kns-job-5 while job 5 is suspended (vcluster-0)" in left[0]["message"]


def test_node_probe_is_recorded_and_replayed_without_creating_pods(kube_job, kube_server, tmp_path):
    cluster = kube_job(JobSpec(faults=frozenset({"low_inotify"})))
    settings = Settings(kubeconfig=cluster.kubeconfig, node_probe=True, node_probe_timeout=20)
    tape = Tape("record")
    out: dict = {}

    def record():
        outcome = execute(settings, Selection(ids=["node_inotify_limits"]), tape)
        outcome.runner.close()
        out["rows"] = outcome.result.results
    thread = threading.Thread(target=record)
    thread.start()
    while thread.is_alive():
        play_kubelet_for_probe_pods(cluster.kubeconfig, PROBE_NS, cluster.node_inotify)
        time.sleep(0.2)
    thread.join()
    tape.save(tmp_path / "rec", {"settings": settings.public()})
    replay = Tape.load(tmp_path / "rec")
    assert any(e["source"] == "nodeprobe" for e in replay.entries.values())
    outcome = execute(settings, Selection(ids=["node_inotify_limits"]), replay)
    outcome.runner.close()
    assert statuses(outcome.result.results) == statuses(out["rows"])
    assert ("fail", "Node", so.NODES[1]) in statuses(out["rows"])
    assert probe_pods(kube_server) == []
