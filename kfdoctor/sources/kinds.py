"""The kinds of Kubernetes object kfdoctor reads, and where the API serves them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    kind: str
    plural: str
    group: str = ""
    version: str = "v1"          # for groups with several served versions, resolved at run time
    namespaced: bool = True
    fixture: str = ""            # the name of the session fixture that lists it

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, version: str | None = None) -> str:
        base = f"/apis/{self.group}/{version or self.version}" if self.group else "/api/v1"
        scope = f"/namespaces/{namespace}" if namespace and self.namespaced else ""
        return f"{base}{scope}/{self.plural}"


# Groups whose version differs between releases (Istio v1 / v1beta1 ...): asked of the server.
VERSIONED_GROUPS = frozenset({"security.istio.io", "networking.istio.io", "kubeflow.org",
                              "serving.kserve.io"})

KINDS: tuple[Kind, ...] = (
    Kind("Node", "nodes", namespaced=False, fixture="nodes"),
    Kind("Namespace", "namespaces", namespaced=False, fixture="namespaces"),
    Kind("Pod", "pods", fixture="pods"),
    Kind("Event", "events", fixture="events"),
    Kind("ConfigMap", "configmaps", fixture="configmaps"),
    Kind("PersistentVolumeClaim", "persistentvolumeclaims", fixture="pvcs"),
    Kind("PersistentVolume", "persistentvolumes", namespaced=False, fixture="pvs"),
    Kind("StorageClass", "storageclasses", "storage.k8s.io", namespaced=False,
         fixture="storage_classes"),
    Kind("CSIDriver", "csidrivers", "storage.k8s.io", namespaced=False, fixture="csi_drivers"),
    Kind("Deployment", "deployments", "apps", fixture="deployments"),
    Kind("DaemonSet", "daemonsets", "apps", fixture="daemonsets"),
    Kind("Ingress", "ingresses", "networking.k8s.io", fixture="ingresses"),
    Kind("Profile", "profiles", "kubeflow.org", namespaced=False, fixture="profiles"),
    Kind("AuthorizationPolicy", "authorizationpolicies", "security.istio.io",
         fixture="authorization_policies"),
    Kind("RequestAuthentication", "requestauthentications", "security.istio.io",
         fixture="request_authentications"),
    Kind("Gateway", "gateways", "networking.istio.io", fixture="gateways"),
    Kind("VirtualService", "virtualservices", "networking.istio.io", fixture="virtual_services"),
    Kind("EnvoyFilter", "envoyfilters", "networking.istio.io", version="v1alpha3",
         fixture="envoy_filters"),
    Kind("InferenceService", "inferenceservices", "serving.kserve.io", version="v1beta1",
         fixture="inference_services"),
)

BY_KIND = {k.kind: k for k in KINDS}
