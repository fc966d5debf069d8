"""Knative serves KServe endpoints under the job's domain, with https external URLs."""
from kfdoctor import Resource, Severity, check, fail, ok, warn

KNATIVE_NAMESPACE = "knative-serving"
EXAMPLE_DOMAIN = "example.com"
# config-network keys (knative.dev/networking pkg/config): the scheme of external URLs when
# external-domain TLS is off, and the (auto-)TLS switch (auto-tls is its deprecated name).
SCHEME_KEY = "default-external-scheme"
TLS_KEYS = ("external-domain-tls", "auto-tls")


def find_configmap(configmaps: list[dict], name: str, namespace: str = KNATIVE_NAMESPACE) -> dict | None:
    return next((c for c in configmaps if c["metadata"]["name"] == name
                 and c["metadata"].get("namespace") == namespace), None)


def default_domains(config_domain: dict) -> tuple[list[str], dict]:
    """The domains with an empty value (default for every route), and every domain key."""
    data = {k: v for k, v in (config_domain.get("data") or {}).items() if k != "_example"}
    return sorted(k for k, v in data.items() if not (v or "").strip()), data


@check(severity=Severity.HIGH, phase="post-launch", tags={"kserve", "knative"})
def kserve_domain_configured(configmaps, job_domain):
    """Knative serves KServe endpoints under the job's domain, with https external URLs.

    ## Why it matters
    At launch the application writes the job URL as the default domain into ConfigMap
    ``config-domain`` (``knative-serving``) and makes https the default protocol (admin guide 8.1).
    With ``example.com`` (Knative's and KServe's example) the InferenceServices get URLs such as
    ``http://sklearn-iris.<namespace>.example.com`` that no client can reach, and with an http
    scheme the URLs KServe reports do not match the job's https ingress.

    ## Manual fix
    ``kubectl -n knative-serving patch cm config-domain --type merge -p
    '{"data":{"<job domain>":""}}'`` and remove the ``example.com`` key
    (``kubectl -n knative-serving edit cm config-domain``); then
    ``kubectl -n knative-serving patch cm config-network --type merge -p
    '{"data":{"default-external-scheme":"https"}}'``. Knative re-reconciles the routes; existing
    InferenceServices get their new URL within a minute.
    """
    expected = job_domain.domain if job_domain else None
    config_domain = find_configmap(configmaps, "config-domain")
    if config_domain is None:
        yield fail(Resource("ConfigMap", "config-domain", KNATIVE_NAMESPACE),
                   "ConfigMap knative-serving/config-domain does not exist; expected it with the "
                   f"job's domain {expected or '(unknown)'} as default", {"job_domain": expected})
    else:
        defaults, data = default_domains(config_domain)
        evidence = {"domains": data, "default_domains": defaults, "job_domain": expected,
                    "job_domain_from": job_domain.found_by if job_domain else None}
        if expected and expected in defaults:
            yield ok(config_domain, f"config-domain makes the job's domain {expected} the default",
                     evidence)
        elif expected:
            actual = ", ".join(defaults) or "no default domain"
            yield fail(config_domain, f"config-domain's default domain is {actual}; expected the "
                       f"job's domain {expected}", evidence)
        elif not defaults or EXAMPLE_DOMAIN in defaults:
            yield fail(config_domain, f"config-domain's default domain is "
                       f"{', '.join(defaults) or 'missing'}; expected the job's domain (not "
                       f"{EXAMPLE_DOMAIN})", evidence)
        else:
            yield warn(config_domain, f"config-domain's default domain is {', '.join(defaults)}; "
                       "kfdoctor cannot confirm it is the job's domain (pass --job-url)", evidence)

    config_network = find_configmap(configmaps, "config-network")
    if config_network is None:
        yield fail(Resource("ConfigMap", "config-network", KNATIVE_NAMESPACE),
                   "ConfigMap knative-serving/config-network does not exist; expected "
                   f"{SCHEME_KEY}: https", {})
        return
    data = config_network.get("data") or {}
    scheme = (data.get(SCHEME_KEY) or "http").strip().lower()
    tls = {k: data[k] for k in TLS_KEYS if k in data}
    tls_on = any(str(v).strip().lower() == "enabled" for v in tls.values())
    evidence = {SCHEME_KEY: data.get(SCHEME_KEY), **tls,
                "domain-template": data.get("domain-template")}
    if scheme == "https" or tls_on:
        how = f"{SCHEME_KEY} is https" if scheme == "https" else \
            f"external-domain TLS is Enabled ({', '.join(tls)})"
        yield ok(config_network, f"external URLs default to https ({how})", evidence)
    else:
        yield fail(config_network, f"external URLs default to {scheme} ({SCHEME_KEY} "
                   f"{data.get(SCHEME_KEY) or 'unset, Knative default http'}); expected https",
                   evidence)
