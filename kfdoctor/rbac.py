"""The RBAC kfdoctor needs, built from the fixtures' ``reads`` and ``writes`` declarations.

``kfdoctor rbac`` prints a read-only ClusterRole (for ``check`` and ``bundle``) and a separate
one for ``fix`` (the reads plus the declared writes), each with its ServiceAccount and
ClusterRoleBinding, as YAML for ``kubectl apply``.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable

from .engine.registry import KubeRead, Registry

# Discovery (the API groups and their versions) and /version, read by every run.
DISCOVERY_URLS = ("/api", "/api/*", "/apis", "/apis/*", "/version")
NON_RESOURCE = {("", "version"): "/version"}
ROLES = ("read", "fix")


def non_resource_url(read: KubeRead) -> str | None:
    """The URL of a non-resource read (``/version``), else None."""
    if read.resource.startswith("/"):
        return read.resource
    return NON_RESOURCE.get((read.group, read.resource))


def declared_reads(registry: Registry) -> set[KubeRead]:
    return {read for spec in registry.fixtures.values() for read in spec.reads}


def declared_writes(registry: Registry) -> set[KubeRead]:
    writes = {w for spec in registry.fixtures.values() for w in spec.writes}
    writes |= {w for spec in registry.remediations.values() for w in getattr(spec, "writes", ())}
    return writes


def rules(permissions: Iterable[KubeRead]) -> list[dict]:
    """ClusterRole rules: one per (API group, verbs), resources sorted; non-resource URLs last."""
    by_resource: dict[tuple[str, str], set[str]] = {}
    urls: dict[str, set[str]] = {url: {"get"} for url in DISCOVERY_URLS}
    for perm in permissions:
        url = non_resource_url(perm)
        if url:
            urls.setdefault(url, set()).add(perm.verb)
            continue
        by_resource.setdefault((perm.group, perm.full_resource), set()).add(perm.verb)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (group, resource), verbs in by_resource.items():
        grouped.setdefault((group, tuple(sorted(verbs))), []).append(resource)
    out = [{"apiGroups": [group], "resources": sorted(resources), "verbs": list(verbs)}
           for (group, verbs), resources in sorted(grouped.items())]
    by_verbs: dict[tuple[str, ...], list[str]] = {}
    for url, verbs in urls.items():
        by_verbs.setdefault(tuple(sorted(verbs)), []).append(url)
    out += [{"nonResourceURLs": sorted(found), "verbs": list(verbs)}
            for verbs, found in sorted(by_verbs.items())]
    return out


def role_documents(registry: Registry, role: str, namespace: str = "kfdoctor",
                   name: str = "kfdoctor", reads: Iterable[KubeRead] | None = None) -> list[dict]:
    """ServiceAccount, ClusterRole and ClusterRoleBinding of one role (``read`` or ``fix``)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    permissions = set(declared_reads(registry) if reads is None else reads)
    account = name if role == "read" else f"{name}-fix"
    if role == "fix":
        permissions |= declared_writes(registry)
    cluster_role = f"{name}-{role}"
    labels = {"app.kubernetes.io/name": "kfdoctor", "app.kubernetes.io/component": f"rbac-{role}"}
    purpose = ("read-only: kfdoctor check and kfdoctor bundle" if role == "read"
               else "kfdoctor fix: the reads plus the writes remediations declare")
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": account, "namespace": namespace, "labels": labels}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": cluster_role, "labels": labels,
                      "annotations": {"kfdoctor.io/purpose": purpose}},
         "rules": rules(permissions)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": cluster_role, "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": cluster_role},
         "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]},
    ]


def documents(registry: Registry, role: str = "all", namespace: str = "kfdoctor",
              name: str = "kfdoctor") -> list[dict]:
    roles = ROLES if role == "all" else (role,)
    return [doc for r in roles for doc in role_documents(registry, r, namespace, name)]


# -- a small YAML emitter (PyYAML is not a runtime dependency) -------------------------------------
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not _numeric(text):
        return text
    return json.dumps(text)


def _numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _emit(value: Any, indent: int, lines: list[str], prefix: str) -> None:
    pad = " " * indent
    if isinstance(value, dict) and value:
        first = True
        for key, item in value.items():
            lead = prefix if first else pad
            first = False
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{lead}{_scalar(key)}:")
                _emit(item, indent + 2, lines, " " * (indent + 2))
            else:
                lines.append(f"{lead}{_scalar(key)}: {_flow(item)}")
    elif isinstance(value, list) and value:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                _emit(item, indent + 2, lines, f"{pad}- ")
            else:
                lines.append(f"{pad}- {_flow(item)}")
    else:
        lines.append(f"{prefix}{_flow(value)}")


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(docs: Iterable[dict]) -> str:
    """Documents as a multi-document YAML stream."""
    out = []
    for doc in docs:
        lines: list[str] = []
        _emit(doc, 0, lines, "")
        out.append("---\n" + "\n".join(lines) + "\n")
    return "".join(out)
