"""The JARVICE Kubeflow AppDef (domain-facts.md §9.2; admin guide ch. 2.1 and 6), as a file.

The KNS key is spelled ``nestedkubernetes`` as in the admin guide and ``docs/appdef.md``.
Faults: ``gotty_enabled`` sets ``enable_gotty_shell`` to ``"true"``; ``no_sysctl_daemonset`` drops the
``sysctl-config`` template (a proper opt-out); ``appdef_invalid`` writes the admin guide's opt-out
example as printed, which is not valid JSON.
"""
from __future__ import annotations

import json
from pathlib import Path

from .job import JobSpec

TEMPLATES = [
    ("cert-manager", "manifests/common/cert-manager"),
    ("istio", "manifests/common/istio"),
    ("oauth2-proxy", "manifests/common/oauth2-proxy"),
    ("knative-serving", "manifests/common/knative"),
    ("kubeflow-namespace", "manifests/common/kubeflow-namespace"),
    ("kubeflow-roles", "manifests/common/kubeflow-roles"),
    ("central-dashboard", "manifests/apps/centraldashboard"),
    ("profiles", "manifests/apps/profiles"),
    ("volumes-web-app", "manifests/apps/volumes-web-app"),
    ("pipelines", "manifests/apps/pipeline"),
    ("katib", "manifests/apps/katib"),
    ("kserve", "manifests/apps/kserve"),
    ("nswatcher", "manifests/components/apps/nswatcher"),
    ("sysctl-config", "manifests/components/apps/sysctl-config"),
]
# The admin guide's ch. 2.1 "to this" example, as printed (page break included): not valid JSON.
GUIDE_INVALID_OPT_OUT = """  {
    "name": "nswatcher",
  },
  {
    "name": "sysctl-config",
    "type": "kustomize",
    "path": "manifests/components/apps/sysctl-config"
  }
,
,
"type": "kustomize",
"path": "manifests/components/apps/nswatcher"
},
]"""


def templates(spec: JobSpec) -> list[dict]:
    names = [t for t in TEMPLATES if not (t[0] == "sysctl-config" and spec.has("no_sysctl_daemonset"))]
    return [{"name": name, "type": "kustomize", "path": path} for name, path in names]


def appdef(spec: JobSpec) -> dict:
    """The AppDef of the JARVICE Kubeflow application as a dict."""
    kns = {"kubernetes_version": "v1.30",
           "enable_gotty_shell": "true" if spec.has("gotty_enabled") else "false",
           "targets": [{"service_name": "istio-ingressgateway", "service_port": 80,
                        "service_namespace": "istio-system"}],
           "templates_settings": {"global_retry": 3, "global_retry_sleep": 10},
           "templates": templates(spec)}
    return {
        "name": "Kubeflow", "description": "Kubeflow on a nested Kubernetes cluster (KNS)",
        "author": "Eviden", "licensed": True, "appdefversion": 2, "appkind": "kns",
        "classifications": ["Artificial Intelligence"], "machines": ["n*"], "vault-types": ["FILE"],
        "image": {"type": "image/png", "data": ""},
        "commands": {"Kubeflow": {
            "path": "/usr/bin/true", "name": "Start a new Kubeflow instance",
            "description": "Deploy Kubeflow in a nested Kubernetes cluster", "interactive": True,
            "parameters": {}, "nestedkubernetes": kns}},
    }


def appdef_text(spec: JobSpec) -> str:
    """The AppDef file's text: indented JSON, or the broken opt-out with ``appdef_invalid``."""
    if not spec.has("appdef_invalid"):
        return json.dumps(appdef(spec), indent=2) + "\n"
    document = appdef(spec)
    kept = [t for t in templates(spec) if t["name"] not in ("nswatcher", "sysctl-config")]
    document["commands"]["Kubeflow"]["nestedkubernetes"]["templates"] = "@TEMPLATES@"
    broken = "[\n" + ",\n".join("  " + json.dumps(t) for t in kept) + ",\n" + GUIDE_INVALID_OPT_OUT
    return json.dumps(document, indent=2).replace('"@TEMPLATES@"', broken) + "\n"


def write_appdef(spec: JobSpec, path: Path) -> Path:
    path = Path(path)
    path.write_text(appdef_text(spec))
    return path
