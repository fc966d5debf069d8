"""Seed a JARVICE Kubeflow job into the test kube-apiserver, and wipe it again.

``seed_kube(kubeconfig, spec)`` creates the objects of ``seed_objects.job_objects`` (status written
through the status subresource), writes the AppDef and a fake host ``/proc/sys`` tree, and returns a
``SeededCluster``. ``reset_kube(kubeconfig)`` deletes what seeding made, keeping namespaces (there
is no namespace controller, so a deleted namespace would stay Terminating) and CRDs, so tests can
run reset + seed(spec with faults) against one apiserver in a few seconds.
"""
from __future__ import annotations

import copy
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import config
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from . import seed_objects as so
from .appdef import write_appdef
from .job import JobSpec

WORKERS = 8
PROBE_LABEL = "app.kubernetes.io/name=kfdoctor-node-probe"
CLUSTER_KINDS = [("v1", "Node"), ("v1", "PersistentVolume"), ("storage.k8s.io/v1", "StorageClass"),
                 ("storage.k8s.io/v1", "CSIDriver"), ("kubeflow.org/v1", "Profile")]
LABELLED_CLUSTER_KINDS = [("rbac.authorization.k8s.io/v1", "ClusterRole"),
                          ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")]
NAMESPACED_KINDS = [
    ("v1", "Pod"), ("v1", "PersistentVolumeClaim"), ("v1", "Event"), ("v1", "ConfigMap"), ("v1", "Secret"),
    ("v1", "ServiceAccount"), ("v1", "Service"), ("v1", "ResourceQuota"), ("v1", "LimitRange"),
    ("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"), ("apps/v1", "StatefulSet"), ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"), ("networking.k8s.io/v1", "Ingress"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("security.istio.io/v1", "AuthorizationPolicy"), ("security.istio.io/v1", "RequestAuthentication"),
    ("networking.istio.io/v1", "Gateway"), ("networking.istio.io/v1", "VirtualService"),
    ("networking.istio.io/v1alpha3", "EnvoyFilter"), ("serving.kserve.io/v1beta1", "InferenceService"),
]
SEEDED = f"{so.SEED_LABEL}=true"


@dataclass
class SeededCluster:
    """What ``seed_kube`` made, for tests to point kfdoctor at and to assert on."""
    kubeconfig: str
    spec: JobSpec
    job_domain: str
    keycloak_issuer: str
    nodes: list[str]
    namespaces: list[str]                 # system namespaces and profile namespaces
    profile_namespaces: list[str]
    profile_owners: dict[str, str]        # profile namespace -> owner e-mail
    vault_class: str
    nfs_server: str
    default_classes: list[str]
    pvcs: list[tuple[str, str]]           # (namespace, name)
    oauth2_proxy_configmap: str
    node_inotify: dict[str, dict[str, int]]
    appdef_path: Path
    host_root: Path                       # holds proc/sys/fs/inotify/* of the node kfdoctor runs on
    work_dir: Path
    seconds: float = 0.0
    requests: int = field(default=0, repr=False)


def _dynamic(kubeconfig: str) -> DynamicClient:
    return DynamicClient(config.new_client_from_config(config_file=str(kubeconfig)))


class _Kube:
    """Creates and deletes manifests through the dynamic client; counts requests."""

    def __init__(self, kubeconfig: str):
        self.dyn = _dynamic(kubeconfig)
        self.uids: dict[tuple, str] = {}
        self.requests = 0
        self._resources: dict[tuple[str, str], object] = {}

    def resource(self, api_version: str, kind: str, retry_for: float = 0):
        key = (api_version, kind)
        if key not in self._resources:
            deadline = time.monotonic() + retry_for
            while True:
                try:
                    self._resources[key] = self.dyn.resources.get(api_version=api_version, kind=kind)
                    break
                except ResourceNotFoundError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
                    self.dyn.resources.invalidate_cache()
        return self._resources[key]

    def has(self, api_version: str, kind: str) -> bool:
        try:
            self.resource(api_version, kind)
            return True
        except ResourceNotFoundError:
            return False

    def _fill_uids(self, manifest: dict) -> None:
        for ref_field in ("involvedObject",):
            ref = manifest.get(ref_field)
            if ref and "uid" not in ref:
                uid = self.uids.get((ref["kind"], ref.get("namespace"), ref["name"]))
                if uid:
                    ref["uid"] = uid
        claim_ref = manifest.get("spec", {}).get("claimRef") if manifest["kind"] == "PersistentVolume" else None
        if claim_ref:
            uid = self.uids.get(("PersistentVolumeClaim", claim_ref["namespace"], claim_ref["name"]))
            if uid:
                claim_ref["uid"] = uid

    def create(self, manifest: dict) -> None:
        manifest = copy.deepcopy(manifest)
        status = manifest.pop("status", None)
        self._fill_uids(manifest)
        meta = manifest["metadata"]
        res = self.resource(manifest["apiVersion"], manifest["kind"])
        try:
            created = res.create(body=manifest, namespace=meta.get("namespace"))
        except ApiException as exc:
            if exc.status != 409 or manifest["kind"] not in ("Namespace", "CustomResourceDefinition"):
                raise
            created = res.patch(body={"metadata": {"labels": meta.get("labels"), "annotations": meta.get("annotations")}},
                                name=meta["name"], content_type="application/merge-patch+json")
        self.requests += 1
        self.uids[(manifest["kind"], meta.get("namespace"), meta["name"])] = created.metadata.uid
        if status is not None:
            res.status.patch(body={"status": status}, name=meta["name"], namespace=meta.get("namespace"),
                             content_type="application/merge-patch+json")
            self.requests += 1

    def create_all(self, manifests: list[dict]) -> None:
        for manifest in manifests:   # resolve resources in one thread: discovery is not thread-safe
            self.resource(manifest["apiVersion"], manifest["kind"], retry_for=30)
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(self.create, manifests))

    def delete_all(self, api_version: str, kind: str, namespace: str | None = None,
                   label_selector: str | None = None) -> None:
        """Delete every object of a kind (in ``namespace``), at once and without grace."""
        res = self.resource(api_version, kind)
        selector = {"label_selector": label_selector} if label_selector else {
            "field_selector": f"metadata.namespace={namespace}" if namespace else "metadata.name!=kfdoctor-none"}
        try:
            res.delete(namespace=namespace, grace_period_seconds=0, **selector)
        except ApiException as exc:
            if exc.status != 405:
                raise
            for item in res.get(namespace=namespace, **selector).items:   # no deletecollection (Services)
                try:
                    res.delete(name=item.metadata.name, namespace=namespace, grace_period_seconds=0)
                except NotFoundError:
                    pass
        self.requests += 1


def _wait_established(kube: _Kube, names: list[str], timeout: float = 30) -> None:
    res = kube.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            conditions = res.get(name=name).to_dict().get("status", {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRD {name} not established after {timeout}s")
            time.sleep(0.1)


def write_host_root(root: Path, values: dict[str, int]) -> Path:
    """A fake host root with ``proc/sys/fs/inotify/<name>`` files holding ``values``."""
    inotify = Path(root) / "proc" / "sys" / "fs" / "inotify"
    inotify.mkdir(parents=True, exist_ok=True)
    for name, value in values.items():
        (inotify / name).write_text(f"{value}\n")
    return Path(root)


def default_issuer(spec: JobSpec) -> str:
    return f"https://keycloak.{spec.domain.split('.', 1)[1]}/realms/{spec.realm}"


def seed_kube(kubeconfig: str, spec: JobSpec, keycloak_issuer: str | None = None,
              work_dir: Path | None = None) -> SeededCluster:
    """Create the job of ``spec`` (with its faults); call ``reset_kube`` first on a used apiserver."""
    started = time.monotonic()
    issuer = keycloak_issuer or default_issuer(spec)
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="kfdoctor-seed-"))
    manifests, facts = so.job_objects(spec, issuer)
    kube = _Kube(kubeconfig)
    first_kinds = {"CustomResourceDefinition", "Namespace", "Node", "ClusterRole", "StorageClass", "CSIDriver"}
    last_kinds = {"PersistentVolume", "Event"}   # they refer to the uids of claims and pods
    first = [m for m in manifests if m["kind"] in first_kinds]
    middle = [m for m in manifests if m["kind"] not in first_kinds | last_kinds]
    last = [m for m in manifests if m["kind"] in last_kinds]
    kube.create_all(first)
    _wait_established(kube, [m["metadata"]["name"] for m in first if m["kind"] == "CustomResourceDefinition"])
    kube.create_all(middle)
    kube.create_all(last)

    inotify = so.node_inotify(spec)
    local_node = so.NODES[1] if spec.has("low_inotify") else so.NODES[0]
    host_root = write_host_root(work_dir / "host", inotify[local_node])
    appdef_path = write_appdef(spec, work_dir / "appdef.json")
    return SeededCluster(
        kubeconfig=str(kubeconfig), spec=spec, job_domain=spec.domain, keycloak_issuer=issuer,
        nodes=list(so.NODES), namespaces=facts["namespaces"], profile_namespaces=facts["profile_namespaces"],
        profile_owners=so.profile_owners(spec), vault_class=spec.vault, nfs_server=so.NFS_SERVER,
        default_classes=facts["default_classes"], pvcs=facts["pvcs"],
        oauth2_proxy_configmap=facts["oauth2_proxy_configmap"], node_inotify=inotify,
        appdef_path=appdef_path, host_root=host_root, work_dir=work_dir,
        seconds=time.monotonic() - started, requests=kube.requests)


def _seeded_namespaces(kube: _Kube) -> list[str]:
    res = kube.resource("v1", "Namespace")
    return [ns.metadata.name for ns in res.get(label_selector=SEEDED).items]


def reset_kube(kubeconfig: str) -> float:
    """Delete what seeding made (and anything else in the seeded namespaces); return seconds."""
    started = time.monotonic()
    kube = _Kube(kubeconfig)
    namespaces = _seeded_namespaces(kube)
    jobs = [(av, kind, ns, None) for ns in namespaces for av, kind in NAMESPACED_KINDS]
    jobs += [(av, kind, "kube-system", SEEDED) for av, kind in NAMESPACED_KINDS]
    jobs += [(av, kind, None, None) for av, kind in CLUSTER_KINDS]
    jobs += [(av, kind, None, SEEDED) for av, kind in LABELLED_CLUSTER_KINDS]
    jobs = [job for job in jobs if kube.has(job[0], job[1])]   # resolve in one thread; skip absent CRDs
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda job: kube.delete_all(*job), jobs))
    ns_res = kube.resource("v1", "Namespace")
    for name in namespaces:   # strip what seeding put on the namespace; the namespace itself stays
        meta = ns_res.get(name=name).to_dict()["metadata"]
        labels = {k: None for k in meta.get("labels") or {} if k not in ("kubernetes.io/metadata.name", so.SEED_LABEL)}
        annotations = {k: None for k in meta.get("annotations") or {}}
        if labels or annotations:
            ns_res.patch(body={"metadata": {"labels": labels, "annotations": annotations}}, name=name,
                         content_type="application/merge-patch+json")
    return time.monotonic() - started


def seed_scale(kubeconfig: str, namespaces: int, pvcs: int, storage_class: str = JobSpec().vault,
               prefix: str = "kfdoctor-scale") -> list[tuple[str, str]]:
    """Create ``namespaces`` namespaces holding ``pvcs`` Bound NFS PVCs (with PVs) in all; return the PVCs.

    Run after ``seed_kube`` (so the StorageClass exists); ``reset_kube`` removes them.
    """
    kube = _Kube(kubeconfig)
    names = [f"{prefix}-{i}" for i in range(namespaces)]
    kube.create_all([so.namespace(ns) for ns in names])
    claims, volumes, created = [], [], []
    for i in range(pvcs):
        ns, name = names[i % namespaces], f"data-{i:05d}"
        pv = so.pv_name(ns, name)
        claims.append(so.claim(ns, name, storage_class, ["ReadWriteMany"], "1Gi", pv))
        volumes.append(so.nfs_volume(pv, ns, name, storage_class, ["ReadWriteMany"], "1Gi",
                                     f"/{storage_class}", pv, "Retain"))
        created.append((ns, name))
    kube.create_all(claims)
    kube.create_all(volumes)
    return created


def play_kubelet_for_probe_pods(kubeconfig: str, namespace: str, values_by_node: dict[str, dict[str, int]]) -> int:
    """Act as kubelet for kfdoctor's node-probe pods: mark each Succeeded with its node's inotify values.

    Pods are found by ``app.kubernetes.io/name=kfdoctor-node-probe``; a pod's node is its
    ``spec.nodeName`` (or ``nodeSelector[kubernetes.io/hostname]``). The termination message is the
    JSON ``{"max_user_instances": N, "max_user_watches": M}``. Returns the number of pods completed.
    """
    kube = _Kube(kubeconfig)
    res = kube.resource("v1", "Pod")
    done = 0
    for item in res.get(namespace=namespace, label_selector=PROBE_LABEL).items:
        pod = item.to_dict()
        node = pod["spec"].get("nodeName") or (pod["spec"].get("nodeSelector") or {}).get("kubernetes.io/hostname")
        if node not in values_by_node:
            continue
        values = values_by_node[node]
        message = json.dumps({"max_user_instances": values["max_user_instances"],
                              "max_user_watches": values["max_user_watches"]})
        statuses = [{"name": c["name"], "image": c["image"], "imageID": "", "ready": False, "restartCount": 0,
                     "started": False,
                     "state": {"terminated": {"exitCode": 0, "reason": "Completed", "message": message,
                                              "startedAt": so.STAMP, "finishedAt": so.STAMP}}}
                    for c in pod["spec"]["containers"]]
        status = {"phase": "Succeeded", "hostIP": "10.20.1.11", "startTime": so.STAMP,
                  "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": so.STAMP},
                                 {"type": "Ready", "status": "False", "reason": "PodCompleted",
                                  "lastTransitionTime": so.STAMP}],
                  "containerStatuses": statuses}
        res.status.patch(body={"status": status}, name=pod["metadata"]["name"], namespace=namespace,
                         content_type="application/merge-patch+json")
        done += 1
    return done


def play_daemonset_controller(kubeconfig: str, namespace: str, name: str) -> bool:
    """Act as the DaemonSet controller and kubelets for DaemonSet ``namespace/name``: write the
    status of a rollout completed on every node its nodeSelector matches. False if it is absent
    or already rolled out."""
    kube = _Kube(kubeconfig)
    try:
        ds = kube.resource("apps/v1", "DaemonSet").get(name=name, namespace=namespace).to_dict()
    except NotFoundError:
        return False
    generation = ds["metadata"].get("generation") or 1
    if ((ds.get("status") or {}).get("observedGeneration") or 0) >= generation:
        return False
    selector = ds["spec"]["template"]["spec"].get("nodeSelector") or {}
    nodes = [n for n in kube.resource("v1", "Node").get().to_dict()["items"]
             if selector.items() <= (n["metadata"].get("labels") or {}).items()]
    count = len(nodes)
    status = {"observedGeneration": generation, "desiredNumberScheduled": count,
              "currentNumberScheduled": count, "updatedNumberScheduled": count, "numberReady": count,
              "numberAvailable": count, "numberMisscheduled": 0}
    kube.resource("apps/v1", "DaemonSet").status.patch(
        body={"status": status}, name=name, namespace=namespace,
        content_type="application/merge-patch+json")
    return True

