"""Create or repair the whitelist-by-paths AuthorizationPolicy."""
import copy

from kfdoctor import KubeRead, remediation
from kfdoctor.fixing import KubeCreate, KubePatch, Plan

from kfdoctor.checks.kserve.kserve_paths_whitelisted import NAMESPACE, POLICY, path_problem

KSERVE_PATHS = ["/v1/models/*", "/v2/models/*", "/v2/health/*"]
GATEWAY = {"matchLabels": {"app": "istio-ingressgateway"}}


@remediation("kserve_paths_whitelisted", risk="medium",
             writes=[KubeRead(v, "security.istio.io", "authorizationpolicies")
                     for v in ("get", "patch", "create", "delete")])
def whitelist_paths(finding, authorization_policies, job_domain, fix_options):
    """Create or repair AuthorizationPolicy istio-system/whitelist-by-paths.

    Missing: creates it (ALLOW, selector ``app: istio-ingressgateway``, a rule for the job host and
    a rule for ``*.<job domain>`` with the KServe paths ``/v1/models/*``, ``/v2/models/*``,
    ``/v2/health/*`` plus every ``--add-path``). Malformed: sets ``action: ALLOW``, drops the
    paths Istio rejects and adds the KServe paths (and ``--add-path``) to the rule holding paths
    (or a new rule). Merge patch guarded by the resourceVersion; undo restores the old spec or
    deletes the policy it created.
    """
    extra = [p for p in fix_options.add_paths if p]
    bad = [p for p in extra if path_problem(p)]
    if bad:
        return Plan.manual_only(f"--add-path {', '.join(bad)}: not a valid Istio path",
                                "paths start with '/'; '*' only at the start or the end")
    policy = next((p for p in authorization_policies if p["metadata"]["name"] == POLICY
                   and p["metadata"].get("namespace") == NAMESPACE), None)
    if policy is None:
        rules = []
        if job_domain is not None:
            domain = job_domain.domain
            rules.append({"to": [{"operation": {"hosts": [domain, f"{domain}:*"]}}]})
            rules.append({"to": [{"operation": {"hosts": [f"*.{domain}", f"*.{domain}:*"],
                                                "paths": KSERVE_PATHS + extra}}]})
        else:
            rules.append({"to": [{"operation": {"paths": KSERVE_PATHS + extra}}]})
        body = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                "metadata": {"name": POLICY, "namespace": NAMESPACE},
                "spec": {"action": "ALLOW", "selector": GATEWAY, "rules": rules}}
        return Plan(f"create AuthorizationPolicy {NAMESPACE}/{POLICY} whitelisting "
                    f"{', '.join(KSERVE_PATHS + extra)}", [KubeCreate(body)])
    spec = policy.get("spec") or {}
    rules = copy.deepcopy(spec.get("rules") or [])
    holder = None
    for rule in rules:
        for to in (rule or {}).get("to") or []:
            operation = (to or {}).get("operation") or {}
            if "paths" in operation:
                operation["paths"] = [p for p in operation["paths"] if not path_problem(p)]
                holder = holder or operation
    if holder is None:
        holder = {"paths": []}
        rules.append({"to": [{"operation": holder}]})
    for path in KSERVE_PATHS + extra:
        if path not in holder["paths"]:
            holder["paths"].append(path)
    values = {("spec", "rules"): rules}
    if (spec.get("action") or "ALLOW") != "ALLOW":
        values[("spec", "action")] = "ALLOW"
    return Plan(f"repair AuthorizationPolicy {NAMESPACE}/{POLICY}: ALLOW, paths "
                f"{', '.join(holder['paths'])}", [KubePatch.of(policy, values,
                                                               kind="AuthorizationPolicy")])
