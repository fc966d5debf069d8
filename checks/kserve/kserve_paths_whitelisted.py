"""The AuthorizationPolicy whitelist-by-paths in istio-system exists and is well formed."""
from __future__ import annotations

import re

from kfdoctor import Resource, Severity, check, fail, ok, warn

POLICY, NAMESPACE = "whitelist-by-paths", "istio-system"
# KServe's V1 and V2 inference protocol paths (a whitelist without them serves no model).
INFERENCE_SAMPLES = ("/v1/models/m:predict", "/v2/models/m/infer")
# Istio string match: exact, prefix "abc*", suffix "*abc", presence "*"; paths may also use the
# {*} / {**} templates (istio.io authorization-policy reference, domain-facts §7).
_TEMPLATE = re.compile(r"\{\*\*?\}")


def path_problem(path) -> str | None:
    """Why Istio would not accept ``path`` as an operation path, or None."""
    if not isinstance(path, str) or not path:
        return "empty path"
    if path == "*":
        return None
    body = path[1:] if path.startswith("*") else path[:-1] if path.endswith("*") else path
    if not (body.startswith("/") or path.startswith("*")):
        return f"{path!r} does not start with '/'"
    if "*" in _TEMPLATE.sub("", body):
        return f"{path!r} has '*' inside (only a leading or trailing '*', or {{*}}/{{**}}, match)"
    return None


def covers(pattern: str, path: str) -> bool:
    if _TEMPLATE.search(pattern):
        regex = re.escape(pattern).replace(r"\{\*\*\}", ".*").replace(r"\{\*\}", "[^/]+")
        return re.fullmatch(regex, path) is not None
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return path.endswith(pattern[1:])
    return pattern == path


def selects(selector: dict, deployments: list[dict]) -> list[str]:
    """Deployments in istio-system whose pod labels match the policy's selector."""
    wanted = (selector or {}).get("matchLabels") or {}
    found = []
    for deployment in deployments:
        if deployment["metadata"].get("namespace") != NAMESPACE:
            continue
        labels = ((deployment.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
        if all(labels.get(k) == v for k, v in wanted.items()):
            found.append(deployment["metadata"]["name"])
    return sorted(found)


@check(severity=Severity.HIGH, phase="post-launch", tags={"kserve", "istio"})
def kserve_paths_whitelisted(authorization_policies, deployments):
    """The AuthorizationPolicy whitelist-by-paths in istio-system exists and is well formed.

    ## Why it matters
    KServe endpoints are reached through the Istio ingress gateway; the paths they may use are
    declared in the ``whitelist-by-paths`` AuthorizationPolicy of ``istio-system`` (admin guide
    8.2). Without it, or with a malformed one (no rules, no paths, a DENY action, paths Istio
    rejects), inference requests get 403 "RBAC: access denied" or are not filtered as intended.

    ## Manual fix
    ``kubectl edit authorizationpolicy/whitelist-by-paths -n istio-system`` (admin guide 8.2):
    ``action: ALLOW``, a selector of the ingress gateway (``app: istio-ingressgateway``), and
    rules whose ``to[].operation.paths`` list the KServe paths, e.g. ``/v1/models/*``,
    ``/v2/models/*``. Paths must start with ``/``; ``*`` is allowed only at the start or the end.
    If the policy is gone, relaunching the application recreates it.
    """
    policy = next((p for p in authorization_policies if p["metadata"]["name"] == POLICY
                   and p["metadata"].get("namespace") == NAMESPACE), None)
    if policy is None:
        elsewhere = sorted(f"{p['metadata'].get('namespace')}/{POLICY}" for p in authorization_policies
                           if p["metadata"]["name"] == POLICY)
        where = f" (found only {', '.join(elsewhere)})" if elsewhere else ""
        yield fail(Resource("AuthorizationPolicy", POLICY, NAMESPACE),
                   f"AuthorizationPolicy {NAMESPACE}/{POLICY} does not exist{where}; expected it "
                   "to whitelist the KServe paths", {"elsewhere": elsewhere})
        return
    spec = policy.get("spec") or {}
    action = spec.get("action") or "ALLOW"
    rules = spec.get("rules") or []
    paths, hosts, methods, problems = [], [], [], []
    for rule in rules:
        for to in (rule or {}).get("to") or []:
            operation = (to or {}).get("operation") or {}
            paths += operation.get("paths") or []
            hosts += operation.get("hosts") or []
            methods += operation.get("methods") or []
    selected = selects(spec.get("selector"), deployments) if spec.get("selector") else None
    evidence = {"action": action, "paths": paths, "hosts": sorted(set(hosts)),
                "methods": sorted(set(methods)), "rules": len(rules),
                "selector": spec.get("selector"), "selected_deployments": selected}
    if action != "ALLOW":
        problems.append(f"action is {action}, expected ALLOW")
    if not rules:
        problems.append("it has no rules (an ALLOW policy without rules allows nothing)")
    elif not paths:
        problems.append("no rule lists operation paths")
    bad = [p for p in (path_problem(x) for x in paths) if p]
    if bad:
        problems.append("invalid paths: " + "; ".join(bad))
    if problems:
        yield fail(policy, f"AuthorizationPolicy {NAMESPACE}/{POLICY} is malformed: "
                   f"{'; '.join(problems)}", evidence)
        return
    uncovered = [s for s in INFERENCE_SAMPLES if not any(covers(p, s) for p in paths)]
    if selected == []:
        yield warn(policy, f"AuthorizationPolicy {NAMESPACE}/{POLICY} selects no Deployment of "
                   f"{NAMESPACE} (selector {spec['selector']}); expected the ingress gateway",
                   evidence)
    elif uncovered:
        yield warn(policy, f"AuthorizationPolicy {NAMESPACE}/{POLICY} whitelists {', '.join(paths)}; "
                   f"none covers the KServe inference path{'s' if len(uncovered) > 1 else ''} "
                   f"{', '.join(uncovered)}", evidence)
    else:
        yield ok(policy, f"AuthorizationPolicy {NAMESPACE}/{POLICY} whitelists {len(paths)} paths: "
                 f"{', '.join(paths)}", evidence)
