"""seed_kube builds the JARVICE Kubeflow job in the real apiserver; each fault changes what it should."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from kubernetes import client

from tests.servers import seed_objects as so
from tests.servers.faults import JOB_FAULTS, KUBE_FAULTS
from tests.servers.jarvice import SUSPENDED_TEXT, start_jarvice_api
from tests.servers.job import JobSpec
from tests.servers.seed_kube import play_kubelet_for_probe_pods, reset_kube, seed_scale

DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


class Reads:
    """Typed reads against the seeded apiserver."""

    def __init__(self, api_client):
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.storage = client.StorageV1Api(api_client)
        self.net = client.NetworkingV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.rbac = client.RbacAuthorizationV1Api(api_client)

    def policies(self, namespace: str) -> dict[str, dict]:
        items = self.custom.list_namespaced_custom_object("security.istio.io", "v1", namespace,
                                                          "authorizationpolicies")["items"]
        return {p["metadata"]["name"]: p for p in items}

    def default_classes(self) -> list[str]:
        return [sc.metadata.name for sc in self.storage.list_storage_class().items
                if (sc.metadata.annotations or {}).get(DEFAULT_ANNOTATION) == "true"]

    def pvc(self, namespace: str, name: str):
        return self.core.read_namespaced_persistent_volume_claim(name, namespace)

    def events(self, namespace: str, name: str) -> list:
        return self.core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}").items

    def oauth2_proxy(self):
        deploy = self.apps.read_namespaced_deployment("oauth2-proxy", "oauth2-proxy")
        cm_name = deploy.spec.template.spec.volumes[0].config_map.name
        config = self.core.read_namespaced_config_map(cm_name, "oauth2-proxy").data["oauth2_proxy.cfg"]
        env = {e.name: e.value for e in deploy.spec.template.spec.containers[0].env if e.value is not None}
        return config, env

    def ingress_hosts(self) -> list[str]:
        return [rule.host for rule in self.net.read_namespaced_ingress("job-ingress", "istio-system").spec.rules]


@pytest.fixture(scope="module")
def reads(kube_server) -> Reads:
    return Reads(kube_server.api_client())


def _inotify(root: Path) -> dict[str, int]:
    base = root / "proc" / "sys" / "fs" / "inotify"
    return {p.name: int(p.read_text()) for p in base.iterdir()}


def test_healthy_job(kube_job, reads):
    cluster = kube_job()
    nodes = reads.core.list_node().items
    assert sorted(n.metadata.name for n in nodes) == sorted(cluster.nodes) and len(nodes) == 3
    tainted = [n.metadata.name for n in nodes if any(t.key == so.VCLUSTER_TAINT for t in n.spec.taints or [])]
    assert tainted == ["jarvice-vcluster-1"]
    assert all(c.status == "True" for n in nodes for c in n.status.conditions if c.type == "Ready")
    assert nodes[0].status.capacity["cpu"] == "16"

    assert cluster.profile_namespaces == ["alice", "bob"]
    alice = reads.core.read_namespace("alice").metadata
    assert alice.annotations["owner"] == "alice@example.org"
    assert all(alice.labels[k] == v for k, v in so.PROFILE_LABELS.items())
    profiles = reads.custom.list_cluster_custom_object("kubeflow.org", "v1", "profiles")["items"]
    assert {p["metadata"]["name"]: p["spec"]["owner"]["name"] for p in profiles} == cluster.profile_owners
    binding = reads.rbac.read_namespaced_role_binding("namespaceAdmin", "alice")
    assert binding.metadata.annotations == {"user": "alice@example.org", "role": "admin"}

    driver = reads.storage.read_csi_driver("nfs.csi.k8s.io").spec
    assert driver.attach_required is False and driver.volume_lifecycle_modes == ["Persistent"]
    assert driver.fs_group_policy == "File"
    assert reads.apps.read_namespaced_deployment("csi-nfs-controller", "kube-system").status.ready_replicas == 1
    assert reads.apps.read_namespaced_daemon_set("csi-nfs-node", "kube-system").status.number_ready == 3
    node_pods = reads.core.list_namespaced_pod("kube-system", label_selector="app=csi-nfs-node").items
    assert sorted(p.spec.node_name for p in node_pods) == sorted(cluster.nodes)

    vault = reads.storage.read_storage_class("datavault")
    assert (vault.provisioner, vault.reclaim_policy) == ("nfs.csi.k8s.io", "Retain")
    assert vault.parameters == {"server": so.NFS_SERVER, "share": "/datavault"}
    assert reads.default_classes() == ["local-path"] == cluster.default_classes
    assert reads.storage.read_storage_class("local-path").provisioner == "rancher.io/local-path"

    for ns, name in cluster.pvcs:
        pvc = reads.pvc(ns, name)
        assert pvc.status.phase == "Bound"
        pv = reads.core.read_persistent_volume(pvc.spec.volume_name)
        assert pv.status.phase == "Bound" and pv.spec.claim_ref.uid == pvc.metadata.uid
    assert {(ns, n) for ns, n in cluster.pvcs} == {(ns, n) for ns in ("alice", "bob")
                                                   for n in ("workspace-notebook", "vault-data")}
    assert not [e for ns in cluster.profile_namespaces for e in reads.core.list_namespaced_event(ns).items
                if e.type == "Warning"]

    config, env = reads.oauth2_proxy()
    assert 'cookie_expire = "2h"' in config and "cookie_refresh = 0" in config
    assert 'cookie_name = "oauth2_proxy_kubeflow"' in config and cluster.keycloak_issuer in config
    assert "OAUTH2_PROXY_COOKIE_EXPIRE" not in env
    assert reads.core.read_namespaced_config_map(cluster.oauth2_proxy_configmap, "oauth2-proxy")

    policies = reads.policies("istio-system")
    assert set(policies) == {"istio-ingressgateway-oauth2-proxy", "istio-ingressgateway-require-jwt",
                             "whitelist-by-paths"}
    oauth2 = policies["istio-ingressgateway-oauth2-proxy"]["spec"]
    assert oauth2["action"] == "CUSTOM" and oauth2["provider"] == {"name": "oauth2-proxy"}
    assert oauth2["rules"][0]["when"] == [{"key": "request.headers[authorization]", "notValues": ["*"]}]
    assert policies["istio-ingressgateway-require-jwt"]["spec"]["action"] == "DENY"
    assert reads.policies("alice")["ns-owner-access-istio"]["spec"]["rules"][0]["when"][0]["values"] == \
        ["alice@example.org"]
    assert reads.ingress_hosts() == [cluster.job_domain, f"*.alice.{cluster.job_domain}", f"*.bob.{cluster.job_domain}"]
    domains = reads.core.read_namespaced_config_map("config-domain", "knative-serving").data
    assert cluster.job_domain in domains and "example.com" not in domains
    isvc = reads.custom.get_namespaced_custom_object("serving.kserve.io", "v1beta1", "alice", "inferenceservices",
                                                     "sklearn-iris")
    assert isvc["status"]["url"] == f"https://sklearn-iris.alice.{cluster.job_domain}"

    assert reads.apps.read_namespaced_daemon_set("sysctl-config", "kube-system").status.number_ready == 3
    for pod in reads.core.list_namespaced_pod("kubeflow").items:
        assert pod.status.phase == "Running"
        assert all(s.ready and s.restart_count == 0 for s in pod.status.container_statuses)

    appdef = json.loads(cluster.appdef_path.read_text())
    kns = appdef["commands"]["Kubeflow"]["nestedkubernetes"]
    assert kns["enable_gotty_shell"] == "false"
    assert "sysctl-config" in [t["name"] for t in kns["templates"]]
    assert _inotify(cluster.host_root)["max_user_instances"] >= 2280
    assert all(v["max_user_watches"] >= 1255360 for v in cluster.node_inotify.values())


def _crash_messages(reads: Reads, namespace: str) -> dict[str, str]:
    return {s.name: s.last_state.terminated.message for p in reads.core.list_namespaced_pod(namespace).items
            for s in p.status.container_statuses if s.last_state and s.last_state.terminated}


def _no_csi_driver(reads, cluster):
    with pytest.raises(client.ApiException, match="Not Found"):
        reads.storage.read_csi_driver("nfs.csi.k8s.io")
    assert not reads.apps.list_namespaced_deployment("kube-system", label_selector="app=csi-nfs-controller").items
    assert not reads.core.list_namespaced_pod("kube-system", label_selector="app=csi-nfs-node").items
    assert reads.pvc("alice", "vault-data").status.phase == "Pending"
    assert reads.events("alice", "vault-data")[0].reason == "ExternalProvisioning"


def _csi_controller_unready(reads, cluster):
    deploy = reads.apps.read_namespaced_deployment("csi-nfs-controller", "kube-system")
    assert not deploy.status.ready_replicas and deploy.status.unavailable_replicas == 1   # 0 is omitted
    (pod,) = reads.core.list_namespaced_pod("kube-system", label_selector="app=csi-nfs-controller").items
    nfs = next(s for s in pod.status.container_statuses if s.name == "nfs")
    assert nfs.state.waiting.reason == "CrashLoopBackOff"


def _no_vault_class(reads, cluster):
    assert [sc.provisioner for sc in reads.storage.list_storage_class().items] == ["rancher.io/local-path"]
    (warning,) = reads.events("alice", "vault-data")
    assert warning.message == 'storageclass.storage.k8s.io "datavault" not found'


def _vault_class_delete(reads, cluster):
    assert reads.storage.read_storage_class("datavault").reclaim_policy == "Delete"
    pv = reads.core.read_persistent_volume(reads.pvc("alice", "vault-data").spec.volume_name)
    assert pv.spec.persistent_volume_reclaim_policy == "Delete"


def _no_default_class(reads, cluster):
    assert reads.default_classes() == [] == cluster.default_classes


def _two_default_classes(reads, cluster):
    assert sorted(reads.default_classes()) == ["jarvice-user", "local-path"]


def _pending_pvc(reads, cluster):
    assert reads.pvc("alice", "training-data").status.phase == "Pending"
    failed = [e for e in reads.events("alice", "training-data") if e.reason == "ProvisioningFailed"]
    assert failed[0].type == "Warning"
    assert "mount.nfs: access denied by server while mounting 10.20.0.5:/datavault" in failed[0].message
    assert failed[0].involved_object.uid == reads.pvc("alice", "training-data").metadata.uid


def _rwx_on_rwo_class(reads, cluster):
    pvc = reads.pvc("alice", "shared-scratch")
    assert (pvc.spec.storage_class_name, pvc.spec.access_modes, pvc.status.phase) == \
        ("local-path", ["ReadWriteMany"], "Pending")
    assert "NodePath only supports ReadWriteOnce" in reads.events("alice", "shared-scratch")[0].message


def _shared_share_rw(reads, cluster):
    volumes = [reads.core.read_persistent_volume(reads.pvc(ns, "yolo-data-pvc").spec.volume_name)
               for ns in ("alice", "bob")]
    assert {(v.spec.csi.volume_attributes["server"], v.spec.csi.volume_attributes["share"]) for v in volumes} == \
        {(so.NFS_SERVER, "/datavault")}
    assert all(v.spec.access_modes == ["ReadWriteMany"] for v in volumes)


def _low_inotify(reads, cluster):
    assert cluster.node_inotify["jarvice-node-2"]["max_user_instances"] == 128
    assert cluster.node_inotify["jarvice-node-1"]["max_user_instances"] == 8192
    assert _inotify(cluster.host_root)["max_user_instances"] == 128


def _pods_too_many_open_files(reads, cluster):
    messages = _crash_messages(reads, "kubeflow")
    assert messages["manager"] == ('ERROR setup unable to create controller {"controller": "Profile", '
                                   '"error": "Failed to start file watcher: too many open files"}')
    assert "inotify_init: too many open files" in messages["ml-pipeline-api-server"]
    assert not reads.apps.read_namespaced_deployment("profiles-deployment", "kubeflow").status.ready_replicas


def _no_sysctl_daemonset(reads, cluster):
    assert not reads.apps.list_namespaced_daemon_set("kube-system", label_selector="app=sysctl-config").items
    templates = json.loads(cluster.appdef_path.read_text())["commands"]["Kubeflow"]["nestedkubernetes"]["templates"]
    assert "sysctl-config" not in [t["name"] for t in templates]
    assert all(v["max_user_instances"] == 128 for v in cluster.node_inotify.values())


def _kserve_domain_missing(reads, cluster):
    domains = reads.core.read_namespaced_config_map("config-domain", "knative-serving").data
    assert "example.com" in domains and cluster.job_domain not in domains


def _whitelist_policy_missing(reads, cluster):
    assert "whitelist-by-paths" not in reads.policies("istio-system")


def _user_host_missing(reads, cluster):
    assert reads.ingress_hosts() == [cluster.job_domain, f"*.alice.{cluster.job_domain}"]


def _short_cookie_refresh(reads, cluster):
    config, env = reads.oauth2_proxy()
    assert "cookie_refresh = 0" in config and env["OAUTH2_PROXY_COOKIE_EXPIRE"] == "24h"


def _profile_owner_without_user(reads, cluster):
    dave = reads.custom.get_cluster_custom_object("kubeflow.org", "v1", "profiles", "dave")
    assert dave["spec"]["owner"]["name"] == "dave@example.org"
    assert "dave@example.org" not in {u.email for u in cluster.spec.users}
    assert reads.core.read_namespace("dave").metadata.annotations["owner"] == "dave@example.org"


def _gotty_enabled(reads, cluster):
    kns = json.loads(cluster.appdef_path.read_text())["commands"]["Kubeflow"]["nestedkubernetes"]
    assert kns["enable_gotty_shell"] == "true"


def _job_suspended(reads, cluster):
    api = start_jarvice_api(cluster.spec)
    try:
        assert api.jobs[cluster.spec.number].entry()["job_substatus_text"] == SUSPENDED_TEXT
    finally:
        api.stop()


def _appdef_invalid(reads, cluster):
    text = cluster.appdef_path.read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert '"name": "nswatcher",\n' in text


FAULT_CHECKS = {name[1:]: fn for name, fn in globals().items() if name.startswith("_") and callable(fn)
                and name[1:] in KUBE_FAULTS | JOB_FAULTS}


def test_every_kube_and_job_fault_is_covered():
    assert set(FAULT_CHECKS) == KUBE_FAULTS | JOB_FAULTS


@pytest.mark.parametrize("fault", sorted(KUBE_FAULTS | JOB_FAULTS))
def test_fault(fault, kube_job, reads):
    cluster = kube_job(JobSpec(faults=frozenset({fault})))
    FAULT_CHECKS[fault](reads, cluster)


def test_reset_removes_the_job_but_keeps_namespaces(kube_job, kube_server, reads):
    cluster = kube_job(JobSpec(faults=frozenset({"profile_owner_without_user"})))
    reset_kube(str(kube_server.kubeconfig))
    assert reads.core.list_node().items == [] and reads.storage.list_storage_class().items == []
    assert reads.core.list_namespaced_pod("kubeflow").items == []
    assert reads.core.list_persistent_volume().items == []
    assert reads.custom.list_cluster_custom_object("kubeflow.org", "v1", "profiles")["items"] == []
    dave = reads.core.read_namespace("dave")
    assert dave.status.phase == "Active" and not dave.metadata.annotations
    assert "app.kubernetes.io/part-of" not in dave.metadata.labels
    assert reads.core.read_namespaced_config_map("extension-apiserver-authentication", "kube-system")
    assert cluster.seconds < 10


def test_seed_scale_creates_bound_claims(kube_job, kube_server, reads):
    kube_job()
    created = seed_scale(str(kube_server.kubeconfig), namespaces=3, pvcs=30)
    claims = reads.core.list_persistent_volume_claim_for_all_namespaces(label_selector=f"{so.SEED_LABEL}=true").items
    scale = [c for c in claims if c.metadata.namespace.startswith("kfdoctor-scale-")]
    assert len(scale) == len(created) == 30 and {c.status.phase for c in scale} == {"Bound"}
    assert {c.metadata.namespace for c in scale} == {"kfdoctor-scale-0", "kfdoctor-scale-1", "kfdoctor-scale-2"}


def test_play_kubelet_completes_probe_pods(kube_job, reads):
    cluster = kube_job(JobSpec(faults=frozenset({"low_inotify"})))
    for node in cluster.nodes:
        reads.core.create_namespaced_pod("kubeflow", {
            "metadata": {"name": f"probe-{node}", "labels": {"app.kubernetes.io/name": "kfdoctor-node-probe"}},
            "spec": {"nodeName": node, "restartPolicy": "Never",
                     "containers": [{"name": "probe", "image": "busybox:1.37"}]}})
    assert play_kubelet_for_probe_pods(cluster.kubeconfig, "kubeflow", cluster.node_inotify) == 3
    pod = reads.core.read_namespaced_pod("probe-jarvice-node-2", "kubeflow")
    assert pod.status.phase == "Succeeded"
    message = json.loads(pod.status.container_statuses[0].state.terminated.message)
    assert message == {"max_user_instances": 128, "max_user_watches": 8192}
