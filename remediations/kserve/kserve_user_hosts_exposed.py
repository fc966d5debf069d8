"""Add the missing KServe wildcard hosts of the profile namespaces to the job ingress."""
import copy

from kfdoctor import KubeRead, remediation
from kfdoctor.fixing import KubePatch, Plan

from kfdoctor.checks.kserve.kserve_user_hosts_exposed import (DEFAULT_TEMPLATE, expected_host,
                                                              served)


@remediation("kserve_user_hosts_exposed", risk="medium",
             writes=[KubeRead(v, "networking.k8s.io", "ingresses") for v in ("get", "patch")])
def add_user_hosts(finding, job_ingress, job_domain, profile_namespaces, configmaps):
    """Add ``*.<namespace>.<job domain>`` to the job ingress for every profile namespace lacking it.

    One merge patch of the Ingress (guarded by its resourceVersion) appends a rule per missing
    host, with the same backend as the job's own host, and adds the hosts to ``spec.tls[0].hosts``.
    Existing rules and hosts are kept; undo restores the previous rules and TLS hosts. An Istio
    Gateway used as the job ingress is left to the manual fix.
    """
    if job_ingress is None or job_domain is None:
        return Plan.manual_only("no job ingress or job domain found", "see kfdoctor explain "
                                "kserve_user_hosts_exposed")
    obj = job_ingress.obj
    if obj.get("kind") != "Ingress":
        return Plan.manual_only(f"the job ingress is a {obj.get('kind')}, not an Ingress",
                                "add the hosts to the Gateway's servers[].hosts by hand")
    network = next((c for c in configmaps if c["metadata"]["name"] == "config-network"
                    and c["metadata"].get("namespace") == "knative-serving"), None)
    template = ((network or {}).get("data") or {}).get("domain-template") or DEFAULT_TEMPLATE
    spec = obj.get("spec") or {}
    rules = copy.deepcopy(spec.get("rules") or [])
    tls = copy.deepcopy(spec.get("tls") or [])
    rule_hosts = [(r.get("host") or "").lower() for r in rules]
    model = next((r for r in rules if (r.get("host") or "").lower() == job_domain.domain),
                 rules[0] if rules else None)
    if model is None:
        return Plan.manual_only("the job ingress has no rule to copy the backend from",
                                "add the rules by hand (see kfdoctor explain)")
    added = []
    for namespace in profile_namespaces:
        host = expected_host(template, namespace, job_domain.domain)
        if not served(host, rule_hosts, False):
            rules.append({**copy.deepcopy(model), "host": host})
            rule_hosts.append(host)
            added.append(host)
        if tls and host not in [h.lower() for h in tls[0].get("hosts") or []]:
            tls[0].setdefault("hosts", []).append(host)
            if host not in added:
                added.append(host)
    values = {("spec", "rules"): rules}
    if tls:
        values[("spec", "tls")] = tls
    meta = obj["metadata"]
    return Plan(f"add {', '.join(added) or 'no host'} to Ingress {meta.get('namespace')}/"
                f"{meta['name']}", [KubePatch.of(obj, values, kind="Ingress")])
