"""Make the job's domain Knative's default domain, and https the default external scheme."""
from kfdoctor import KubeRead, remediation
from kfdoctor.fixing import KubeCreate, KubePatch, Plan

from kfdoctor.checks.kserve.kserve_domain_configured import (KNATIVE_NAMESPACE, SCHEME_KEY,
                                                             default_domains, find_configmap)


@remediation("kserve_domain_configured", risk="medium",
             writes=[KubeRead(v, "", "configmaps") for v in ("get", "patch", "create", "delete")])
def set_knative_domain(finding, configmaps, job_domain):
    """Patch Knative's ConfigMaps: the job's domain as the only default, https URLs.

    For ``config-domain`` (knative-serving): adds the job's domain as a key with an empty value
    (the default for every route) and removes the other default domains such as ``example.com``
    (selector entries and ``_example`` are kept); creates the ConfigMap when it is missing. For
    ``config-network``: sets ``default-external-scheme: https``. Merge patches guarded by the
    resourceVersion; undo puts the previous keys back. Knative re-reconciles the routes.
    """
    name = finding.resource.name
    if name == "config-network":
        network = find_configmap(configmaps, "config-network")
        if network is None:
            return Plan.manual_only("ConfigMap knative-serving/config-network is missing",
                                    "reinstall Knative Serving's config-network (it holds more "
                                    "than the scheme); kfdoctor does not recreate it")
        return Plan(f"set {SCHEME_KEY}: https in knative-serving/config-network",
                    [KubePatch.of(network, {("data", SCHEME_KEY): "https"}, kind="ConfigMap")])
    if job_domain is None:
        return Plan.manual_only("the job's domain is unknown: pass --job-url",
                                "kfdoctor fix kserve_domain_configured --job-url https://<job host>")
    domain = job_domain.domain
    config_domain = find_configmap(configmaps, "config-domain")
    if config_domain is None:
        return Plan(f"create knative-serving/config-domain with default domain {domain}", [
            KubeCreate({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "config-domain", "namespace": KNATIVE_NAMESPACE},
                        "data": {domain: ""}})])
    defaults, _ = default_domains(config_domain)
    values = {("data", domain): ""}
    values.update({("data", other): None for other in defaults if other != domain})
    dropped = [d for d in defaults if d != domain]
    return Plan(f"make {domain} the default domain of knative-serving/config-domain"
                + (f" (remove {', '.join(dropped)})" if dropped else ""),
                [KubePatch.of(config_domain, values, kind="ConfigMap")])
