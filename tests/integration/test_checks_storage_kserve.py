"""Storage and KServe checks against the real kube-apiserver, seeded healthy and with each fault."""
from __future__ import annotations

import pytest

from tests.integration.live import cluster_settings, run_live
from tests.servers.job import JobSpec

pytestmark = pytest.mark.integration

CHECKS = ["storage_csi_nfs_driver_ready", "storage_vault_class_present", "storage_pvc_bound",
          "storage_pvc_access_mode_supported", "storage_shared_volume_read_only",
          "kserve_domain_configured", "kserve_paths_whitelisted", "kserve_user_hosts_exposed"]


def findings(seeded, ids=CHECKS, **settings) -> list[dict]:
    extra = {"job_url": f"https://{seeded.job_domain}/", **settings}
    return run_live(cluster_settings(seeded, **extra), ids).result.results


def show(rows: list[dict]) -> list[tuple]:
    return [(r["check"], r["status"], r["resource"], r["message"], r["cause"]) for r in rows]


def test_healthy_job_passes_every_check(kube_job):
    seeded = kube_job()
    rows = findings(seeded)
    assert {r["check"] for r in rows} == set(CHECKS), show(rows)
    bad = [r for r in rows if r["status"] not in ("pass",)]
    assert not bad, show(bad)
    by_check = {c: [r for r in rows if r["check"] == c] for c in CHECKS}
    # names resolved from the objects, and said how
    controller = next(r for r in by_check["storage_csi_nfs_driver_ready"]
                      if r["resource"]["kind"] == "Deployment")
    assert controller["resource"] == {"kind": "Deployment", "namespace": "kube-system",
                                      "name": "csi-nfs-controller"}
    assert "nfsplugin" in controller["evidence"]["found_by"]
    claims = {(r["resource"]["namespace"], r["resource"]["name"]) for r in by_check["storage_pvc_bound"]}
    assert claims == set(seeded.pvcs)
    hosts = {r["evidence"]["expected_host"] for r in by_check["kserve_user_hosts_exposed"]}
    assert hosts == {f"*.{ns}.{seeded.job_domain}" for ns in seeded.profile_namespaces}
    whitelist = by_check["kserve_paths_whitelisted"][0]
    assert "/v1/models/*" in whitelist["evidence"]["paths"]


def test_job_domain_comes_from_the_job_ingress_without_job_url(kube_job):
    seeded = kube_job()
    rows = findings(seeded, ["kserve_domain_configured", "kserve_user_hosts_exposed"], job_url=None)
    assert {r["status"] for r in rows} == {"pass"}, show(rows)
    domain = next(r for r in rows if r["resource"]["name"] == "config-domain")
    assert domain["evidence"]["job_domain"] == seeded.job_domain
    assert "job-ingress" in domain["evidence"]["job_domain_from"]


def first_profile(seeded) -> str:
    return seeded.profile_namespaces[0]


# fault -> [(check, status, resource fields, message part, cause)]; "{first}"/"{last}" are the
# first and last profile namespaces, "{each}" every profile namespace, "{domain}" the job domain.
FAULTS = {
    "no_csi_driver": [
        ("storage_csi_nfs_driver_ready", "fail", {"kind": "CSIDriver", "name": "nfs.csi.k8s.io"},
         "does not exist", None),
        ("storage_csi_nfs_driver_ready", "fail", {"kind": "Deployment"},
         "no Deployment runs the nfs.csi.k8s.io controller", None),
        ("storage_csi_nfs_driver_ready", "fail", {"kind": "DaemonSet"},
         "no DaemonSet runs the nfs.csi.k8s.io node", None),
        ("storage_pvc_bound", "fail", {"namespace": "{each}", "name": "vault-data"},
         "external provisioner nfs.csi.k8s.io is not running", "storage_csi_nfs_driver_ready"),
    ],
    "csi_controller_unready": [
        ("storage_csi_nfs_driver_ready", "fail",
         {"kind": "Deployment", "namespace": "kube-system", "name": "csi-nfs-controller"},
         "0/1 replicas ready", None),
    ],
    "no_vault_class": [
        ("storage_vault_class_present", "fail", {"kind": "StorageClass", "name": "datavault"},
         "no vault StorageClass found", None),
        ("storage_pvc_bound", "fail", {"namespace": "{each}", "name": "vault-data"},
         "StorageClass datavault does not exist", "storage_vault_class_present"),
    ],
    "vault_class_delete": [
        ("storage_vault_class_present", "warn", {"kind": "StorageClass", "name": "datavault"},
         "reclaimPolicy Delete, expected Retain", None),
    ],
    "pending_pvc": [
        ("storage_pvc_bound", "fail", {"namespace": "{first}", "name": "training-data"},
         "access denied by server", None),
    ],
    "rwx_on_rwo_class": [
        ("storage_pvc_access_mode_supported", "fail", {"namespace": "{first}", "name": "shared-scratch"},
         "asks for ReadWriteMany on class local-path", None),
        ("storage_pvc_bound", "fail", {"namespace": "{first}", "name": "shared-scratch"},
         "cannot serve", "storage_pvc_access_mode_supported"),
    ],
    "shared_share_rw": [
        ("storage_shared_volume_read_only", "warn", {"kind": "NFSShare", "name": "10.20.0.5:/datavault"},
         "writable by 2 users' claims", None),
        # the two root mounts also write into each user's dynamic sub-directory
        ("storage_shared_volume_read_only", "warn", {"kind": "NFSShare", "count": "each"},
         "(via /datavault)", None),
    ],
    "kserve_domain_missing": [
        ("kserve_domain_configured", "fail",
         {"kind": "ConfigMap", "namespace": "knative-serving", "name": "config-domain"},
         "default domain is example.com; expected the job's domain {domain}", None),
    ],
    "whitelist_policy_missing": [
        ("kserve_paths_whitelisted", "fail",
         {"kind": "AuthorizationPolicy", "namespace": "istio-system", "name": "whitelist-by-paths"},
         "does not exist", None),
    ],
    "user_host_missing": [
        ("kserve_user_hosts_exposed", "fail", {"kind": "Ingress", "namespace": "istio-system",
                                               "name": "job-ingress"},
         "lacks host *.{last}.{domain} for profile namespace {last}", None),
    ],
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_reported_on_the_right_resource(kube_job, fault):
    seeded = kube_job(JobSpec(faults=frozenset({fault})))
    expected = FAULTS[fault]
    ids = sorted({e[0] for e in expected})
    rows = findings(seeded, ids)
    names = {"first": seeded.profile_namespaces[0], "last": seeded.profile_namespaces[-1],
             "domain": seeded.job_domain}
    matched = []
    expanded = [(c, st, {**res, "namespace": ns}, m, ca) for c, st, res, m, ca in expected
                if res.get("namespace") == "{each}" for ns in seeded.profile_namespaces]
    expanded += [e for e in expected if e[2].get("namespace") != "{each}"]
    for check, status, resource, message, cause in expanded:
        resource = {k: v.format(**names) for k, v in resource.items()}
        count = resource.pop("count", None)    # "each": one finding per profile namespace
        message = message.format(**names)
        hit = [r for r in rows if r["check"] == check and r["status"] == status
               and all(r["resource"].get(k) == v for k, v in resource.items())
               and message in r["message"] and r["cause"] == cause]
        assert hit, f"{fault}: expected {check} {status} {resource} {message!r} cause={cause}; got {show(rows)}"
        if count == "each":
            assert len(hit) == len(seeded.profile_namespaces), show(hit)
        matched += hit
    # everything else these checks judged is fine: the fault is reported once, where it is
    others = [r for r in rows if r not in matched and r["status"] not in ("pass",)]
    assert not others, show(others)
