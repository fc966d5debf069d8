"""The job ingress holds the KServe wildcard host of every profile namespace."""
from __future__ import annotations

import re

from kfdoctor import Resource, Severity, check, fail, ok, skip, warn

DEFAULT_TEMPLATE = "{{.Name}}.{{.Namespace}}.{{.Domain}}"   # Knative config-network default
_FIELD = re.compile(r"\{\{\s*\.(Name|Namespace|Domain)\s*\}\}")


def expected_host(template: str, namespace: str, domain: str) -> str:
    """The wildcard host serving every route of ``namespace`` under ``template``.

    The route name becomes ``*``; when the name shares its label with other text
    (``{{.Name}}-{{.Namespace}}...``) the whole first label is the wildcard.
    """
    values = {"Name": "*", "Namespace": namespace, "Domain": domain}
    host = _FIELD.sub(lambda m: values[m.group(1)], template).lower()
    first, _, rest = host.partition(".")
    return host if first == "*" or "*" not in first else f"*.{rest}"


def served(host: str, hosts: list[str], gateway: bool) -> bool:
    if host in hosts:
        return True
    # An Istio Gateway's "*.<suffix>" matches any depth of subdomain; an Ingress wildcard matches
    # exactly one DNS label (Kubernetes Ingress spec), so only the exact host serves there.
    return gateway and any(h == "*" or (h.startswith("*.") and host.endswith(h[1:])) for h in hosts)


@check(severity=Severity.HIGH, phase="post-launch", tags={"kserve", "istio", "ingress"})
def kserve_user_hosts_exposed(job_ingress, job_domain, profile_namespaces, configmaps):
    """The job ingress holds the KServe wildcard host of every profile namespace.

    ## Why it matters
    When a user namespace is created, the application adds a wildcard host
    ``*.<namespace>.<job domain>`` to the job's Istio ingress "to provide external access to all
    the KServe endpoints created by this user" (admin guide 8.1); the guide's clients then call
    ``https://<isvc>.<namespace>.<job domain>``. A namespace whose host is missing gets no external
    route: its InferenceServices answer 404 from outside, or fail TLS when the host is in the
    rules but not in the certificate's hosts.

    ## Manual fix
    Add the host to the job ingress, in a rule and in its TLS hosts:
    ``kubectl -n <namespace> edit ingress job-ingress`` (names are in this finding's evidence), a
    rule ``host: "*.<namespace>.<job domain>"`` with the same backend as the job host, and the
    same host under ``spec.tls[].hosts``. Recreating the profile (namespace) also adds it.
    """
    if job_ingress is None:
        yield fail(Resource("Ingress", "job-ingress"),
                   "no job ingress found (no Ingress or Istio Gateway named job-ingress, none "
                   "serving the --job-url host); expected one holding each user's KServe host", {})
        return
    if job_domain is None:
        skip("the job's domain is unknown: pass --job-url (the ingress has no plain host)")
    if not profile_namespaces:
        skip("no Kubeflow Profile: no user namespace to expose")
    network = next((c for c in configmaps if c["metadata"]["name"] == "config-network"
                    and c["metadata"].get("namespace") == "knative-serving"), None)
    template = ((network or {}).get("data") or {}).get("domain-template") or DEFAULT_TEMPLATE
    gateway = job_ingress.obj.get("kind") == "Gateway"
    rule_hosts = [h.lower() for h in job_ingress.rule_hosts]
    tls_hosts = [h.lower() for h in job_ingress.tls_hosts] if job_ingress.tls_hosts is not None else None
    meta = job_ingress.obj["metadata"]
    where = f"{job_ingress.obj.get('kind')} {meta.get('namespace')}/{meta['name']}"
    for namespace in profile_namespaces:
        host = expected_host(template, namespace, job_domain.domain)
        evidence = {"namespace": namespace, "expected_host": host, "domain_template": template,
                    "job_domain": job_domain.domain, "job_domain_from": job_domain.found_by,
                    "job_ingress_from": job_ingress.found_by, "rule_hosts": rule_hosts,
                    "tls_hosts": tls_hosts}
        if not served(host, rule_hosts, gateway):
            yield fail(job_ingress.obj, f"{where} lacks host {host} for profile namespace "
                       f"{namespace}; expected it so the user's KServe endpoints are reachable",
                       evidence)
        elif tls_hosts is not None and tls_hosts and not served(host, tls_hosts, gateway):
            yield warn(job_ingress.obj, f"{where} routes {host} but its TLS hosts lack it; expected "
                       "it in spec.tls[].hosts for https", evidence)
        else:
            yield ok(job_ingress.obj, f"{where} holds host {host} for profile namespace {namespace}",
                     evidence)
