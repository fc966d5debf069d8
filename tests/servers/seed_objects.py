"""The Kubernetes objects of a JARVICE Kubeflow job (admin guide; domain-facts.md §1-§3, §5-§8), as dicts.

``job_objects(spec, ...)`` returns manifests in creation order; a manifest may carry ``status``,
which the seeder writes through the status subresource after creating the object. Faults from
``faults.py`` change what is returned; the healthy default has none.

Layout choices where the sources leave room (all inferred, see domain-facts.md §12):
- the "Istio job-ingress" of the guide (ch. 8.1) is an ``networking.k8s.io/v1`` Ingress ``job-ingress``
  in ``istio-system`` (class ``istio``) with the job host and one wildcard host
  ``*.<profile-namespace>.<job domain>`` per profile namespace, matching the KServe URL the guide uses
  (``https://<isvc>.<namespace>.<job domain>``) and Knative's ``{{.Name}}.{{.Namespace}}.{{.Domain}}``;
- ``whitelist-by-paths`` is an ALLOW AuthorizationPolicy on the ingress gateway listing the KServe paths;
- oauth2-proxy talks to Keycloak directly (client ``kns-job-N`` from the Secret), with the Kubeflow
  manifests' v1.10 file layout (ConfigMap ``oauth2-proxy-<hash>``, key ``oauth2_proxy.cfg``);
- the ``sysctl-config`` DaemonSet runs in ``kube-system``.
"""
from __future__ import annotations

import datetime
import hashlib
import uuid

from .job import JobSpec

SEED_LABEL = "kfdoctor.test/seeded"
LABELS = {SEED_LABEL: "true"}
NFS_DRIVER = "nfs.csi.k8s.io"
NFS_SERVER = "10.20.0.5"
LOCAL_PATH = "local-path"
LOCAL_PATH_DRIVER = "rancher.io/local-path"
SYSTEM_NAMESPACES = ("kubeflow", "istio-system", "knative-serving", "oauth2-proxy", "auth")
NODES = ("jarvice-node-1", "jarvice-node-2", "jarvice-vcluster-1")
VCLUSTER_TAINT = "node-role.jarvice.io/jarvice-vcluster"
HEALTHY_INOTIFY = {"max_user_instances": 8192, "max_user_watches": 1255360, "max_queued_events": 16384}
DEFAULT_INOTIFY = {"max_user_instances": 128, "max_user_watches": 8192, "max_queued_events": 16384}
SYSCTL_INOTIFY = {"max_user_instances": 1280, "max_user_watches": 655360}   # admin guide ch. 2
OAUTH2_NOT_PATHS = ["/dex/*", "/dex/**", "/oauth2/*"]
KSERVE_PATHS = ["/v1/models/*", "/v2/models/*", "/v2/health/*"]
PROFILE_LABELS = {
    "katib.kubeflow.org/metrics-collector-injection": "enabled",
    "serving.kubeflow.org/inferenceservice": "enabled",
    "pipelines.kubeflow.org/enabled": "true",
    "app.kubernetes.io/part-of": "kubeflow-profile",
    "istio-injection": "enabled",
}
# Exact texts: domain-facts.md §1.1 and §3.1, local-path-provisioner for RWX.
PROFILE_TOO_MANY_FILES = ('ERROR setup unable to create controller {"controller": "Profile", '
                          '"error": "Failed to start file watcher: too many open files"}')
KFP_TOO_MANY_FILES = "failed to create a watcher for certificate files: inotify_init: too many open files"
NFS_ACCESS_DENIED = (
    'failed to provision volume with StorageClass "{cls}": rpc error: code = Internal desc = failed to mount '
    'nfs server: rpc error: code = Internal desc = mount failed: exit status 32\nMounting command: mount\n'
    'Mounting arguments: -t nfs -o nfsvers=4.1 {server}:{share} /tmp/pvc-{uid}\n'
    'Output: mount.nfs: access denied by server while mounting {server}:{share}')
EXTERNAL_PROVISIONING = (
    "Waiting for a volume to be created either by the external provisioner '{driver}' or manually by the "
    "system administrator. If volume creation is delayed, please verify that the provisioner is running "
    "and correctly registered.")
LOCAL_PATH_RWX = ('failed to provision volume with StorageClass "local-path": NodePath only supports '
                  'ReadWriteOnce and ReadWriteOncePod (1.22+) access modes')
MESH_CONFIG = """accessLogFile: /dev/stdout
extensionProviders:
- name: oauth2-proxy
  envoyExtAuthzHttp:
    service: oauth2-proxy.oauth2-proxy.svc.cluster.local
    port: 80
    includeRequestHeadersInCheck: [authorization, cookie]
    headersToUpstreamOnAllow: [authorization, path, x-auth-request-email, x-auth-request-groups, x-auth-request-user]
    headersToDownstreamOnDeny: [content-type, set-cookie]
"""
STAMP = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _suffix(seed: str, length: int, alphabet: str = "bcdfghjklmnpqrstvwxz2456789") -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def _meta(name: str, namespace: str | None = None, labels: dict | None = None, **extra) -> dict:
    meta = {"name": name, "labels": {**LABELS, **(labels or {})}, **extra}
    if namespace:
        meta["namespace"] = namespace
    return meta


def obj(api_version: str, kind: str, name: str, namespace: str | None = None, labels: dict | None = None,
        status: dict | None = None, annotations: dict | None = None, **fields) -> dict:
    """A manifest with the seed label; ``status`` is written after creation."""
    extra = {"annotations": annotations} if annotations else {}
    manifest = {"apiVersion": api_version, "kind": kind, "metadata": _meta(name, namespace, labels, **extra),
                **fields}
    if status is not None:
        manifest["status"] = status
    return manifest


# --- cluster ---------------------------------------------------------------------------------

def node_inotify(spec: JobSpec) -> dict[str, dict[str, int]]:
    """The inotify sysctls of each node (the data a node probe would report)."""
    values = {node: dict(HEALTHY_INOTIFY) for node in NODES}
    if spec.has("no_sysctl_daemonset"):
        values = {node: dict(DEFAULT_INOTIFY) for node in NODES}
    if spec.has("low_inotify"):
        values[NODES[1]] = dict(DEFAULT_INOTIFY)
    return values


NODE_CONDITIONS = [
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
]


def nodes() -> list[dict]:
    out = []
    for i, name in enumerate(NODES):
        vcluster = name.startswith("jarvice-vcluster")
        taints = [{"key": VCLUSTER_TAINT, "value": "true", "effect": "NoSchedule"}] if vcluster else []
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                  "node.kubernetes.io/instance-type": "n1-standard-16"}
        if vcluster:
            labels["node-role.jarvice.io/jarvice-vcluster"] = "true"
        capacity = {"cpu": "16", "memory": "65842412Ki", "pods": "110", "ephemeral-storage": "203070420Ki"}
        conditions = [{"type": t, "status": v, "reason": r, "message": m,
                       "lastHeartbeatTime": STAMP, "lastTransitionTime": STAMP}
                      for t, v, r, m in NODE_CONDITIONS]
        status = {"capacity": capacity, "allocatable": {**capacity, "cpu": "15800m"}, "conditions": conditions,
                  "addresses": [{"type": "InternalIP", "address": f"10.20.1.{11 + i}"},
                                {"type": "Hostname", "address": name}],
                  "nodeInfo": {"kubeletVersion": "v1.36.3", "kubeProxyVersion": "v1.36.3",
                               "containerRuntimeVersion": "containerd://2.1.4", "kernelVersion": "6.8.0-1019-gcp",
                               "osImage": "Ubuntu 24.04.2 LTS", "operatingSystem": "linux", "architecture": "amd64",
                               "machineID": _suffix(name, 32, "0123456789abcdef"),
                               "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
                               "bootID": str(uuid.uuid5(uuid.NAMESPACE_URL, name))}}
        out.append(obj("v1", "Node", name, labels=labels, status=status,
                       spec={"podCIDR": f"10.42.{i}.0/24", "taints": taints}))
    return out


def namespace(name: str, labels: dict | None = None, annotations: dict | None = None) -> dict:
    return obj("v1", "Namespace", name, labels=labels, annotations=annotations)


def crd(group: str, kind: str, plural: str, versions: list[str], scope: str = "Namespaced",
        short_names: tuple[str, ...] = ()) -> dict:
    """A minimal CustomResourceDefinition whose schema keeps unknown fields."""
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"{plural}.{group}", spec={
        "group": group, "scope": scope,
        "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List",
                  **({"shortNames": list(short_names)} if short_names else {})},
        "versions": [{"name": v, "served": True, "storage": i == 0, "schema": schema,
                      "subresources": {"status": {}}} for i, v in enumerate(versions)]})


CRDS = [
    ("kubeflow.org", "Profile", "profiles", ["v1", "v1beta1"], "Cluster", ()),
    ("security.istio.io", "AuthorizationPolicy", "authorizationpolicies", ["v1", "v1beta1"], "Namespaced", ("ap",)),
    ("security.istio.io", "RequestAuthentication", "requestauthentications", ["v1", "v1beta1"], "Namespaced", ("ra",)),
    ("networking.istio.io", "Gateway", "gateways", ["v1", "v1beta1", "v1alpha3"], "Namespaced", ("gw",)),
    ("networking.istio.io", "VirtualService", "virtualservices", ["v1", "v1beta1", "v1alpha3"], "Namespaced", ("vs",)),
    ("networking.istio.io", "EnvoyFilter", "envoyfilters", ["v1alpha3"], "Namespaced", ()),
    ("serving.kserve.io", "InferenceService", "inferenceservices", ["v1beta1"], "Namespaced", ("isvc",)),
]


def crds() -> list[dict]:
    return [crd(*args) for args in CRDS]


# --- workloads -------------------------------------------------------------------------------

def _container_status(name: str, image: str, ready: bool = True, crash_message: str | None = None,
                      restarts: int = 0) -> dict:
    status = {"name": name, "image": image, "imageID": f"{image.split(':')[0]}@sha256:{_suffix(image, 64, '0123456789abcdef')}",
              "containerID": f"containerd://{_suffix(name + image, 64, '0123456789abcdef')}",
              "ready": ready, "started": ready, "restartCount": restarts,
              "state": {"running": {"startedAt": STAMP}}}
    if crash_message is not None:
        status.update(ready=False, started=False, restartCount=restarts or 14,
                      state={"waiting": {"reason": "CrashLoopBackOff",
                                         "message": f"back-off 5m0s restarting failed container={name}"}},
                      lastState={"terminated": {"exitCode": 1, "reason": "Error", "message": crash_message,
                                                "startedAt": STAMP, "finishedAt": STAMP,
                                                "containerID": status["containerID"]}})
    elif not ready:
        status.update(started=True)
    return status


def pod(name: str, namespace: str, labels: dict, containers: list[tuple[str, str]], node: str,
        crash: dict[str, str] | None = None, not_ready: tuple[str, ...] = (), ip_index: int = 0,
        privileged: bool = False, tolerate_all: bool = False) -> dict:
    """A pod bound to ``node``, Running; ``crash`` maps container names to a termination message."""
    crash = crash or {}
    statuses = [_container_status(c, image, c not in not_ready, crash.get(c)) for c, image in containers]
    ready = all(s["ready"] for s in statuses)
    conditions = [{"type": t, "status": "True" if ok else "False", "lastTransitionTime": STAMP}
                  for t, ok in (("PodReadyToStartContainers", True), ("Initialized", True),
                                ("Ready", ready), ("ContainersReady", ready), ("PodScheduled", True))]
    for cond in conditions:
        if cond["status"] == "False":
            cond.update(reason="ContainersNotReady",
                        message=f"containers with unready status: [{' '.join(s['name'] for s in statuses if not s['ready'])}]")
    security = {"securityContext": {"privileged": True}} if privileged else {}
    spec = {"nodeName": node, "restartPolicy": "Always",
            "containers": [{"name": c, "image": image, **security} for c, image in containers]}
    if tolerate_all:
        spec["tolerations"] = [{"operator": "Exists"}]
    node_index = NODES.index(node)
    status = {"phase": "Running", "conditions": conditions, "hostIP": f"10.20.1.{11 + node_index}",
              "podIP": f"10.42.{node_index}.{10 + ip_index}", "startTime": STAMP, "qosClass": "BestEffort",
              "containerStatuses": statuses}
    return obj("v1", "Pod", name, namespace, labels=labels, spec=spec, status=status)


def deployment(name: str, namespace: str, labels: dict, containers: list[tuple[str, str]], replicas: int = 1,
               ready: int | None = None, **pod_spec) -> dict:
    ready = replicas if ready is None else ready
    status = {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
              "readyReplicas": ready, "availableReplicas": ready,
              "conditions": [{"type": "Available", "status": "True" if ready == replicas else "False",
                              "reason": "MinimumReplicasAvailable" if ready == replicas else "MinimumReplicasUnavailable",
                              "message": "Deployment has minimum availability." if ready == replicas
                              else "Deployment does not have minimum availability.",
                              "lastUpdateTime": STAMP, "lastTransitionTime": STAMP}]}
    if ready < replicas:
        status["unavailableReplicas"] = replicas - ready
    template = {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": c, "image": image} for c, image in containers], **pod_spec}}
    return obj("apps/v1", "Deployment", name, namespace, labels=labels, status=status,
               spec={"replicas": replicas, "selector": {"matchLabels": labels}, "template": template})


def daemonset(name: str, namespace: str, labels: dict, containers: list[tuple[str, str]], ready: int,
              privileged: bool = False) -> dict:
    security = {"securityContext": {"privileged": True}} if privileged else {}
    template = {"metadata": {"labels": labels},
                "spec": {"tolerations": [{"operator": "Exists"}],
                         "containers": [{"name": c, "image": image, **security} for c, image in containers]}}
    status = {"currentNumberScheduled": len(NODES), "desiredNumberScheduled": len(NODES), "numberMisscheduled": 0,
              "numberReady": ready, "numberAvailable": ready, "updatedNumberScheduled": len(NODES),
              "observedGeneration": 1}
    return obj("apps/v1", "DaemonSet", name, namespace, labels=labels, status=status,
               spec={"selector": {"matchLabels": labels}, "template": template})


def workload(name: str, namespace: str, labels: dict, containers: list[tuple[str, str]], replicas: int = 1,
             crash: dict[str, str] | None = None, not_ready: tuple[str, ...] = (), start_node: int = 0) -> list[dict]:
    """A Deployment and its pods (named like a ReplicaSet's), spread over the untainted nodes."""
    template_hash = _suffix(f"{namespace}/{name}", 10, "bcdf256789")
    broken = bool(crash) or bool(not_ready)
    out = [deployment(name, namespace, labels, containers, replicas, 0 if broken else replicas)]
    for i in range(replicas):
        pod_name = f"{name}-{template_hash}-{_suffix(f'{namespace}/{name}/{i}', 5)}"
        out.append(pod(pod_name, namespace, {**labels, "pod-template-hash": template_hash}, containers,
                       NODES[(start_node + i) % 2], crash, not_ready, ip_index=len(name) + i))
    return out


def csi_nfs(spec: JobSpec) -> list[dict]:
    """CSIDriver nfs.csi.k8s.io and the csi-driver-nfs controller/node workloads (domain-facts §2)."""
    if spec.has("no_csi_driver"):
        return []
    unready = spec.has("csi_controller_unready")
    image = "registry.k8s.io/sig-storage/nfsplugin:v4.13.4"
    controller = [("csi-provisioner", "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0"),
                  ("csi-resizer", "registry.k8s.io/sig-storage/csi-resizer:v1.14.0"),
                  ("csi-snapshotter", "registry.k8s.io/sig-storage/csi-snapshotter:v8.3.0"),
                  ("liveness-probe", "registry.k8s.io/sig-storage/livenessprobe:v2.17.0"), ("nfs", image)]
    out = [obj("storage.k8s.io/v1", "CSIDriver", NFS_DRIVER, spec={
        "attachRequired": False, "volumeLifecycleModes": ["Persistent"], "fsGroupPolicy": "File"})]
    out += workload("csi-nfs-controller", "kube-system", {"app": "csi-nfs-controller"}, controller,
                    crash={"nfs": "rpc error: code = Unavailable desc = connection error"} if unready else None)
    node_containers = [("liveness-probe", "registry.k8s.io/sig-storage/livenessprobe:v2.17.0"),
                       ("node-driver-registrar", "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.15.0"),
                       ("nfs", image)]
    out.append(daemonset("csi-nfs-node", "kube-system", {"app": "csi-nfs-node"}, node_containers, len(NODES)))
    out += [pod(f"csi-nfs-node-{_suffix(node, 5)}", "kube-system", {"app": "csi-nfs-node"}, node_containers, node,
                privileged=True, tolerate_all=True) for node in NODES]
    return out


def sysctl_config(spec: JobSpec) -> list[dict]:
    """The admin guide's privileged sysctl-config DaemonSet (absent with no_sysctl_daemonset)."""
    if spec.has("no_sysctl_daemonset"):
        return []
    labels = {"app": "sysctl-config"}
    containers = [("sysctl", "busybox:1.37")]
    out = [daemonset("sysctl-config", "kube-system", labels, containers, len(NODES), privileged=True)]
    out[0]["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "sh", "-c", "sysctl -w fs.inotify.max_user_instances={max_user_instances} "
                    "fs.inotify.max_user_watches={max_user_watches} && sleep infinity".format(**SYSCTL_INOTIFY)]
    out += [pod(f"sysctl-config-{_suffix('sysctl' + node, 5)}", "kube-system", labels, containers, node,
                privileged=True, tolerate_all=True) for node in NODES]
    return out


def kubeflow_workloads(spec: JobSpec) -> list[dict]:
    crash = spec.has("pods_too_many_open_files")
    out = []
    out += workload("profiles-deployment", "kubeflow", {"kustomize.component": "profiles"},
                    [("manager", "ghcr.io/kubeflow/kubeflow/profile-controller:v1.10.0"),
                     ("kfam", "ghcr.io/kubeflow/kubeflow/kfam:v1.10.0")],
                    crash={"manager": PROFILE_TOO_MANY_FILES} if crash else None)
    out += workload("ml-pipeline", "kubeflow", {"app": "ml-pipeline", "application-crd-id": "kubeflow-pipelines"},
                    [("ml-pipeline-api-server", "ghcr.io/kubeflow/kfp-api-server:2.5.0")],
                    crash={"ml-pipeline-api-server": KFP_TOO_MANY_FILES} if crash else None)
    out += workload("centraldashboard", "kubeflow", {"app": "centraldashboard"},
                    [("centraldashboard", "ghcr.io/kubeflow/kubeflow/central-dashboard:v1.10.0")])
    out += workload("volumes-web-app-deployment", "kubeflow", {"app": "volumes-web-app"},
                    [("volumes-web-app", "ghcr.io/kubeflow/kubeflow/volumes-web-app:v1.10.0")], start_node=1)
    out += workload("katib-controller", "kubeflow", {"katib.kubeflow.org/component": "controller"},
                    [("katib-controller", "ghcr.io/kubeflow/katib/katib-controller:v0.18.0")], start_node=1)
    out += workload("kserve-controller-manager", "kubeflow", {"control-plane": "kserve-controller-manager"},
                    [("manager", "kserve/kserve-controller:v0.15.0")])
    out += workload("istiod", "istio-system", {"app": "istiod", "istio": "pilot"},
                    [("discovery", "docker.io/istio/pilot:1.26.1")])
    out += workload("istio-ingressgateway", "istio-system", {"app": "istio-ingressgateway", "istio": "ingressgateway"},
                    [("istio-proxy", "docker.io/istio/proxyv2:1.26.1")], start_node=1)
    out += workload("activator", "knative-serving", {"app": "activator"},
                    [("activator", "gcr.io/knative-releases/knative.dev/serving/cmd/activator:v1.16.2")])
    out += workload("dex", "auth", {"app": "dex"}, [("dex", "ghcr.io/dexidp/dex:v2.43.0")])
    return out


def services() -> list[dict]:
    def svc(name, namespace, selector, port, target):
        return obj("v1", "Service", name, namespace, labels=selector, spec={
            "type": "ClusterIP", "selector": selector,
            "ports": [{"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}]})
    return [svc("istio-ingressgateway", "istio-system", {"app": "istio-ingressgateway", "istio": "ingressgateway"}, 80, 8080),
            svc("oauth2-proxy", "oauth2-proxy", {"app.kubernetes.io/name": "oauth2-proxy"}, 80, 4180),
            svc("centraldashboard", "kubeflow", {"app": "centraldashboard"}, 80, 8082),
            svc("volumes-web-app-service", "kubeflow", {"app": "volumes-web-app"}, 80, 5000)]


# --- oauth2-proxy (domain-facts §5) ---------------------------------------------------------------

def oauth2_proxy_config(spec: JobSpec, issuer: str) -> str:
    return "\n".join([
        'provider = "oidc"',
        f'oidc_issuer_url = "{issuer}"',
        'scope = "profile email groups openid"',
        'email_domains = [ "*" ]',
        '# serve a static HTTP 200 upstream on for authentication success',
        '# we are using oauth2-proxy as an ExtAuthz to "check" each request, not pass it on',
        'upstreams = [ "static://200" ]',
        'skip_auth_routes = [ "^/dex/" ]',
        'api_routes = [ "/api/", "/apis/", "^/ml_metadata" ]',
        'skip_provider_button = false',
        'set_authorization_header = true',
        'set_xauthrequest = true',
        'cookie_name = "oauth2_proxy_kubeflow"',
        f'cookie_expire = "{spec.cookie_expire}"',
        'cookie_refresh = 0',
        'code_challenge_method = "S256"',
        'redirect_url = "/oauth2/callback"',
        'relative_redirect_url = true',
        ""])


def oauth2_proxy(spec: JobSpec, issuer: str) -> tuple[list[dict], str]:
    """Objects of the oauth2-proxy namespace and the name of its (hashed) config ConfigMap."""
    ns = "oauth2-proxy"
    config = oauth2_proxy_config(spec, issuer)
    cm_name = f"oauth2-proxy-{_suffix(config, 10)}"
    params_name = f"oauth2-proxy-parameters-{_suffix(cm_name, 10)}"
    secret_name = f"oauth2-proxy-{_suffix(spec.client_id, 10)}"
    params = {"ALLOW_SELF_SIGNED_ISSUER": "true", "ENABLE_M2M_TOKENS": "true", "EXTRA_JWT_ISSUERS": "",
              "FORCE_HTTPS": "true"}
    def from_secret(var: str, key: str) -> dict:
        return {"name": var, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}

    def from_params(var: str, key: str) -> dict:
        return {"name": var, "valueFrom": {"configMapKeyRef": {"name": params_name, "key": key}}}

    env = [from_secret("OAUTH2_PROXY_CLIENT_ID", "client-id"),
           from_secret("OAUTH2_PROXY_CLIENT_SECRET", "client-secret"),
           from_secret("OAUTH2_PROXY_COOKIE_SECRET", "cookie-secret"),
           from_params("OAUTH2_PROXY_COOKIE_SECURE", "FORCE_HTTPS"),
           from_params("OAUTH2_PROXY_SSL_INSECURE_SKIP_VERIFY", "ALLOW_SELF_SIGNED_ISSUER"),
           from_params("OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS", "ENABLE_M2M_TOKENS"),
           from_params("OAUTH2_PROXY_EXTRA_JWT_ISSUERS", "EXTRA_JWT_ISSUERS")]
    if spec.has("short_cookie_refresh"):
        # An env override wins over the file (domain-facts §5.1): 24h, above the 130 min token lifespan.
        env.append({"name": "OAUTH2_PROXY_COOKIE_EXPIRE", "value": "24h"})
    labels = {"app.kubernetes.io/name": "oauth2-proxy"}
    out = [obj("v1", "ConfigMap", cm_name, ns, data={"oauth2_proxy.cfg": config}),
           obj("v1", "ConfigMap", params_name, ns, data=params),
           obj("v1", "Secret", secret_name, ns, type="Opaque",
               stringData={"client-id": spec.client_id, "client-secret": _suffix("secret" + spec.client_id, 32),
                           "cookie-secret": _suffix("cookie" + spec.client_id, 32)})]
    out += workload("oauth2-proxy", ns, labels, [("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1")], replicas=2)
    template = out[3]["spec"]["template"]["spec"]
    template["containers"][0].update(
        args=["--http-address=0.0.0.0:4180", "--config=/etc/oauth2_proxy/oauth2_proxy.cfg"], env=env,
        ports=[{"name": "http", "containerPort": 4180}, {"name": "metrics", "containerPort": 44180}],
        readinessProbe={"httpGet": {"path": "/ready", "port": "http"}},
        livenessProbe={"httpGet": {"path": "/ping", "port": "http"}},
        volumeMounts=[{"name": "configmaps", "mountPath": "/etc/oauth2_proxy/oauth2_proxy.cfg",
                       "subPath": "oauth2_proxy.cfg"}])
    template["volumes"] = [{"name": "configmaps", "configMap": {"name": cm_name}}]
    return out, cm_name


# --- Istio, Knative, KServe (domain-facts §6, §7; admin guide ch. 8) -----------------------------------

def _policy(name: str, namespace: str, spec: dict) -> dict:
    return obj("security.istio.io/v1", "AuthorizationPolicy", name, namespace, spec=spec)


def istio(spec: JobSpec, issuer: str, profiles: list[str]) -> list[dict]:
    gateway = {"matchLabels": {"app": "istio-ingressgateway"}}
    out = [
        _policy("istio-ingressgateway-oauth2-proxy", "istio-system", {
            "action": "CUSTOM", "provider": {"name": "oauth2-proxy"}, "selector": gateway,
            "rules": [{"to": [{"operation": {"notPaths": OAUTH2_NOT_PATHS}}],
                       "when": [{"key": "request.headers[authorization]", "notValues": ["*"]}]}]}),
        _policy("istio-ingressgateway-require-jwt", "istio-system", {
            "action": "DENY", "selector": gateway,
            "rules": [{"from": [{"source": {"notRequestPrincipals": ["*"]}}],
                       "to": [{"operation": {"notPaths": OAUTH2_NOT_PATHS}}]}]}),
        obj("security.istio.io/v1", "RequestAuthentication", "keycloak-jwt", "istio-system", spec={
            "selector": gateway,
            "jwtRules": [{"issuer": issuer, "forwardOriginalToken": True,
                          "outputClaimToHeaders": [{"header": "kubeflow-userid", "claim": "email"},
                                                   {"header": "kubeflow-groups", "claim": "groups"}],
                          "fromHeaders": [{"name": "Authorization", "prefix": "Bearer "}]}]}),
        obj("networking.istio.io/v1", "Gateway", "kubeflow-gateway", "kubeflow", spec={
            "selector": {"istio": "ingressgateway"},
            "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}),
        obj("networking.istio.io/v1", "VirtualService", "centraldashboard", "kubeflow", spec={
            "gateways": ["kubeflow-gateway"], "hosts": ["*"],
            "http": [{"match": [{"uri": {"prefix": "/"}}], "rewrite": {"uri": "/"},
                      "route": [{"destination": {"host": "centraldashboard.kubeflow.svc.cluster.local",
                                                 "port": {"number": 80}}}]}]}),
        obj("networking.istio.io/v1", "VirtualService", "volumes-web-app-volumes-web-app", "kubeflow", spec={
            "gateways": ["kubeflow/kubeflow-gateway"], "hosts": ["*"],
            "http": [{"match": [{"uri": {"prefix": "/volumes/"}}], "rewrite": {"uri": "/"},
                      "route": [{"destination": {"host": "volumes-web-app-service.kubeflow.svc.cluster.local",
                                                 "port": {"number": 80}}}]}]}),
        obj("v1", "ConfigMap", "istio", "istio-system", data={"mesh": MESH_CONFIG}),
    ]
    if not spec.has("whitelist_policy_missing"):
        out.append(_policy("whitelist-by-paths", "istio-system", {
            "action": "ALLOW", "selector": gateway,
            "rules": [{"to": [{"operation": {"hosts": [spec.domain, f"{spec.domain}:*"]}}]},
                      {"to": [{"operation": {"hosts": [f"*.{spec.domain}", f"*.{spec.domain}:*"],
                                             "paths": KSERVE_PATHS}}]}]}))
    hosts = [spec.domain] + [f"*.{ns}.{spec.domain}" for ns in profiles]
    if spec.has("user_host_missing") and len(profiles) > 0:
        hosts.remove(f"*.{profiles[-1]}.{spec.domain}")
    backend = {"service": {"name": "istio-ingressgateway", "port": {"number": 80}}}
    out.append(obj("networking.k8s.io/v1", "Ingress", "job-ingress", "istio-system", spec={
        "ingressClassName": "istio",
        "tls": [{"hosts": hosts, "secretName": "job-ingress-tls"}],
        "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
                  for host in hosts]}))
    return out


def knative(spec: JobSpec) -> list[dict]:
    domain = "example.com" if spec.has("kserve_domain_missing") else spec.domain
    example = ("################################\n#   EXAMPLE CONFIGURATION      #\n"
               "################################\n# Default value for domain.\nexample.com: |\n")
    return [obj("v1", "ConfigMap", "config-domain", "knative-serving",
                labels={"app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/component": "controller"},
                data={"_example": example, domain: ""}),
            obj("v1", "ConfigMap", "config-network", "knative-serving",
                data={"domain-template": "{{.Name}}.{{.Namespace}}.{{.Domain}}", "tag-template": "{{.Tag}}-{{.Name}}",
                      "default-external-scheme": "https"}),
            obj("v1", "ConfigMap", "config-istio", "knative-serving",
                data={"gateway.kubeflow.kubeflow-gateway": "istio-ingressgateway.istio-system.svc.cluster.local",
                      "local-gateway.knative-serving.knative-local-gateway":
                          "knative-local-gateway.istio-system.svc.cluster.local"})]


def inference_service(spec: JobSpec, namespace: str) -> dict:
    domain = "example.com" if spec.has("kserve_domain_missing") else spec.domain
    url = f"https://sklearn-iris.{namespace}.{domain}"
    return obj("serving.kserve.io/v1beta1", "InferenceService", "sklearn-iris", namespace,
               spec={"predictor": {"model": {"modelFormat": {"name": "sklearn"},
                                             "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}},
               status={"url": url, "address": {"url": f"http://sklearn-iris-predictor.{namespace}.svc.cluster.local"},
                       "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": STAMP}]})


# --- profiles and storage (domain-facts §2, §3, §8; admin guide ch. 7) -----------------------------

def profile_owners(spec: JobSpec) -> dict[str, str]:
    """Profile namespace -> owner e-mail (with the fault's Profile whose owner has no Keycloak user)."""
    owners = {spec.profile_namespace(u): u.email for u in spec.users if u.owns_profile}
    if spec.has("profile_owner_without_user"):
        owners["dave"] = "dave@example.org"
    return owners


def cluster_roles() -> list[dict]:
    verbs = {"kubeflow-admin": ["*"], "kubeflow-edit": ["get", "list", "watch", "create", "update", "patch", "delete"],
             "kubeflow-view": ["get", "list", "watch"]}
    return [obj("rbac.authorization.k8s.io/v1", "ClusterRole", name,
                rules=[{"apiGroups": ["", "apps", "kubeflow.org", "serving.kserve.io"],
                        "resources": ["*"], "verbs": v}]) for name, v in verbs.items()]


def profile(name: str, owner: str) -> list[dict]:
    """A Profile, and what the profile controller makes in its namespace."""
    out = [obj("kubeflow.org/v1", "Profile", name, spec={"owner": {"kind": "User", "name": owner}},
               status={"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": STAMP}]}),
           obj("v1", "ServiceAccount", "default-editor", name),
           obj("v1", "ServiceAccount", "default-viewer", name)]
    for sa, role in (("default-editor", "kubeflow-edit"), ("default-viewer", "kubeflow-view")):
        out.append(obj("rbac.authorization.k8s.io/v1", "RoleBinding", sa, name,
                       roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                       subjects=[{"kind": "ServiceAccount", "name": sa, "namespace": name}]))
    out.append(obj("rbac.authorization.k8s.io/v1", "RoleBinding", "namespaceAdmin", name,
                   annotations={"user": owner, "role": "admin"},
                   roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-admin"},
                   subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": owner}]))
    out.append(_policy("ns-owner-access-istio", name, {
        "rules": [{"from": [{"source": {"principals": [
                      "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
                      "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"]}}],
                   "when": [{"key": "request.headers[kubeflow-userid]", "values": [owner]}]},
                  {"when": [{"key": "source.namespace", "values": [name]}]},
                  {"to": [{"operation": {"paths": ["/healthz", "/metrics", "/wait-for-drain"]}}]}]}))
    return out


def storage_classes(spec: JobSpec) -> list[dict]:
    out = []
    default = {"storageclass.kubernetes.io/is-default-class": "true"}
    if not spec.has("no_vault_class"):
        out.append(obj("storage.k8s.io/v1", "StorageClass", spec.vault, provisioner=NFS_DRIVER,
                       parameters={"server": NFS_SERVER, "share": f"/{spec.vault}"},
                       reclaimPolicy="Delete" if spec.has("vault_class_delete") else "Retain",
                       volumeBindingMode="Immediate", allowVolumeExpansion=True, mountOptions=["nfsvers=4.1"]))
    out.append(obj("storage.k8s.io/v1", "StorageClass", LOCAL_PATH, provisioner=LOCAL_PATH_DRIVER,
                   annotations=None if spec.has("no_default_class") else default,
                   reclaimPolicy="Delete", volumeBindingMode="WaitForFirstConsumer"))
    if spec.has("two_default_classes"):
        out.append(obj("storage.k8s.io/v1", "StorageClass", "jarvice-user", provisioner=LOCAL_PATH_DRIVER,
                       annotations=default, reclaimPolicy="Delete", volumeBindingMode="WaitForFirstConsumer"))
    return out


def event(namespace: str, involved: dict, type_: str, reason: str, message: str, component: str,
          count: int = 1) -> dict:
    name = f"{involved['name']}.{_suffix(reason + message, 16, '0123456789abcdef')}"
    return obj("v1", "Event", name, namespace, involvedObject=involved, type=type_, reason=reason,
               message=message, source={"component": component}, reportingComponent=component,
               firstTimestamp=STAMP, lastTimestamp=STAMP, count=count)


def claim(namespace: str, name: str, storage_class: str, modes: list[str], size: str,
          volume: str | None = None, provisioner: str | None = NFS_DRIVER) -> dict:
    spec = {"accessModes": modes, "resources": {"requests": {"storage": size}}, "storageClassName": storage_class}
    if volume:
        spec["volumeName"] = volume
    annotations = {"volume.kubernetes.io/storage-provisioner": provisioner} if provisioner else None
    status = ({"phase": "Bound", "accessModes": modes, "capacity": {"storage": size}} if volume
              else {"phase": "Pending"})
    return obj("v1", "PersistentVolumeClaim", name, namespace, annotations=annotations, spec=spec, status=status)


def nfs_volume(name: str, claim_ns: str, claim_name: str, storage_class: str, modes: list[str], size: str,
               share: str, subdir: str | None, reclaim: str) -> dict:
    handle = f"{NFS_SERVER}#{share.lstrip('/')}#{subdir or ''}##"
    attributes = {"server": NFS_SERVER, "share": share}
    if subdir:
        attributes.update({"subdir": subdir, "csi.storage.k8s.io/pv/name": name,
                           "csi.storage.k8s.io/pvc/name": claim_name, "csi.storage.k8s.io/pvc/namespace": claim_ns})
    return obj("v1", "PersistentVolume", name, annotations={"pv.kubernetes.io/provisioned-by": NFS_DRIVER},
               spec={"capacity": {"storage": size}, "accessModes": modes, "persistentVolumeReclaimPolicy": reclaim,
                     "storageClassName": storage_class, "mountOptions": ["nfsvers=4.1"],
                     "claimRef": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": claim_ns,
                                  "name": claim_name},
                     "csi": {"driver": NFS_DRIVER, "volumeHandle": handle, "volumeAttributes": attributes}},
               status={"phase": "Bound"})


def local_volume(name: str, claim_ns: str, claim_name: str, size: str, node: str) -> dict:
    return obj("v1", "PersistentVolume", name, annotations={"pv.kubernetes.io/provisioned-by": LOCAL_PATH_DRIVER},
               spec={"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Delete", "storageClassName": LOCAL_PATH,
                     "claimRef": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": claim_ns,
                                  "name": claim_name},
                     "hostPath": {"path": f"/opt/local-path-provisioner/{name}_{claim_ns}_{claim_name}",
                                  "type": "DirectoryOrCreate"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}},
               status={"phase": "Bound"})


def pv_name(namespace: str, claim_name: str) -> str:
    return f"pvc-{uuid.uuid5(uuid.NAMESPACE_URL, f'kfdoctor/{namespace}/{claim_name}')}"


def _claim_ref(namespace: str, name: str) -> dict:
    return {"kind": "PersistentVolumeClaim", "namespace": namespace, "name": name, "apiVersion": "v1"}


def profile_storage(spec: JobSpec, namespace: str, first: bool, second: bool) -> list[dict]:
    """The PVCs (and PVs, events) of one profile namespace, by the storage faults."""
    out = []
    vault = spec.vault
    reclaim = "Delete" if spec.has("vault_class_delete") else "Retain"
    # the user's notebook workspace on the default class
    ws, ws_pv = "workspace-notebook", pv_name(namespace, "workspace-notebook")
    out += [claim(namespace, ws, LOCAL_PATH, ["ReadWriteOnce"], "10Gi", ws_pv, LOCAL_PATH_DRIVER),
            local_volume(ws_pv, namespace, ws, "10Gi", NODES[0])]
    out[-2]["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = NODES[0]
    # the user's data on the vault (admin guide ch. 7.1)
    data = "vault-data"
    if spec.has("no_csi_driver") or spec.has("no_vault_class"):
        out.append(claim(namespace, data, vault, ["ReadWriteMany"], "100Gi",
                         provisioner=None if spec.has("no_vault_class") else NFS_DRIVER))
        if spec.has("no_vault_class"):
            out.append(event(namespace, _claim_ref(namespace, data), "Warning", "ProvisioningFailed",
                             f'storageclass.storage.k8s.io "{vault}" not found', "persistentvolume-controller", 6))
        else:
            out.append(event(namespace, _claim_ref(namespace, data), "Normal", "ExternalProvisioning",
                             EXTERNAL_PROVISIONING.format(driver=NFS_DRIVER), "persistentvolume-controller", 42))
    else:
        pv = pv_name(namespace, data)
        out += [claim(namespace, data, vault, ["ReadWriteMany"], "100Gi", pv),
                nfs_volume(pv, namespace, data, vault, ["ReadWriteMany"], "100Gi", f"/{vault}", pv, reclaim)]
    if first and spec.has("pending_pvc"):
        name = "training-data"
        component = f"{NFS_DRIVER}_{NODES[0]}_{uuid.uuid5(uuid.NAMESPACE_DNS, 'csi-nfs-controller')}"
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{name}")
        out += [claim(namespace, name, vault, ["ReadWriteMany"], "50Gi"),
                event(namespace, _claim_ref(namespace, name), "Normal", "ExternalProvisioning",
                      EXTERNAL_PROVISIONING.format(driver=NFS_DRIVER), "persistentvolume-controller", 12),
                event(namespace, _claim_ref(namespace, name), "Normal", "Provisioning",
                      f'External provisioner is provisioning volume for claim "{namespace}/{name}"', component, 9),
                event(namespace, _claim_ref(namespace, name), "Warning", "ProvisioningFailed",
                      NFS_ACCESS_DENIED.format(cls=vault, server=NFS_SERVER, share=f"/{vault}", uid=uid), component, 9)]
    if first and spec.has("rwx_on_rwo_class"):
        name = "shared-scratch"
        out += [claim(namespace, name, LOCAL_PATH, ["ReadWriteMany"], "20Gi", provisioner=LOCAL_PATH_DRIVER),
                event(namespace, _claim_ref(namespace, name), "Warning", "ProvisioningFailed", LOCAL_PATH_RWX,
                      f"rancher.io/local-path_local-path-provisioner-7f8667f5c7-9tkxl_{uuid.uuid5(uuid.NAMESPACE_DNS, 'lpp')}", 5)]
    if (first or second) and spec.has("shared_share_rw"):
        # admin guide ch. 7.3: several users' claims on one share, read-write (static PVs like yolo-data-pv)
        name, pv = "yolo-data-pvc", f"yolo-data-pv-{namespace}"
        out += [claim(namespace, name, vault, ["ReadWriteMany"], "100Gi", pv),
                nfs_volume(pv, namespace, name, vault, ["ReadWriteMany"], "100Gi", f"/{vault}", None, reclaim)]
        out[-2]["metadata"].pop("annotations", None)
        out[-1]["metadata"].pop("annotations", None)
    return out


def job_objects(spec: JobSpec, issuer: str) -> tuple[list[dict], dict]:
    """Every object of the job in creation order, and facts about them for SeededCluster."""
    owners = profile_owners(spec)
    profiles = list(owners)
    out = crds() + nodes()
    out += [namespace(ns) for ns in SYSTEM_NAMESPACES]
    out += [namespace(ns, PROFILE_LABELS, {"owner": owner}) for ns, owner in owners.items()]
    out += cluster_roles() + storage_classes(spec) + csi_nfs(spec) + sysctl_config(spec)
    out += services() + kubeflow_workloads(spec)
    oauth2, cm_name = oauth2_proxy(spec, issuer)
    out += oauth2 + istio(spec, issuer, profiles) + knative(spec)
    for i, (ns, owner) in enumerate(owners.items()):
        out += profile(ns, owner) + profile_storage(spec, ns, i == 0, i == 1)
    if profiles:
        out.append(inference_service(spec, profiles[0]))
    pvcs = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in out if o["kind"] == "PersistentVolumeClaim"]
    facts = {"profile_namespaces": profiles, "namespaces": list(SYSTEM_NAMESPACES) + profiles, "pvcs": pvcs,
             "oauth2_proxy_configmap": cm_name,
             "default_classes": [o["metadata"]["name"] for o in out if o["kind"] == "StorageClass"
                                 and (o["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true"]}
    return out, facts
