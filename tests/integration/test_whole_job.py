"""Every check at once against the whole seeded job: no false positives when healthy, and with
all the admin guide's problems switched on, each reported by its own check (others fail only
through an explicit cause link)."""
from kfdoctor.run import Selection, execute
from kfdoctor.settings import Settings
from kfdoctor.sources.tape import Tape
from tests.servers.job import JobSpec

# fault -> the check that must report it. Mutually exclusive variants (no_default_class vs
# two_default_classes, ...) and faults that hide others by design (job_suspended skips the live
# checks, appdef_invalid hides the AppDef) are left out of the all-at-once run.
FAULT_CHECKS = {
    "no_csi_driver": "storage_csi_nfs_driver_ready",
    "vault_class_delete": "storage_vault_class_present",
    "two_default_classes": "storage_default_class_unique",
    "pending_pvc": "storage_pvc_bound",
    "rwx_on_rwo_class": "storage_pvc_access_mode_supported",
    "shared_share_rw": "storage_shared_volume_read_only",
    "low_inotify": "node_inotify_limits",
    "pods_too_many_open_files": "pods_too_many_open_files",
    "kserve_domain_missing": "kserve_domain_configured",
    "whitelist_policy_missing": "kserve_paths_whitelisted",
    "user_host_missing": "kserve_user_hosts_exposed",
    "profile_owner_without_user": "keycloak_users_have_role",
    "no_audience_mapper": "keycloak_audience_mapper",
    "short_token_lifespan": "keycloak_token_lifespan",
    "unverified_user": "keycloak_users_email_verified",
    "gotty_enabled": "access_gotty_header_conflict",
}
KEYCLOAK = {"no_audience_mapper", "short_token_lifespan", "unverified_user"}


def whole_run(auth, seeded, jarvice_api):
    settings = Settings(
        kubeconfig=str(seeded.kubeconfig), appdef=str(seeded.appdef_path),
        host_root=str(seeded.host_root), vault=seeded.vault_class, job=seeded.spec.number,
        keycloak_url=auth.keycloak_url, keycloak_password=auth.admin_password, realm=auth.realm,
        job_url=auth.envoy_url, jarvice_url=jarvice_api.url, jarvice_user=jarvice_api.username,
        jarvice_apikey=jarvice_api.apikey, probe_user="alice",
        probe_password=auth.passwords["alice"])
    outcome = execute(settings, Selection(phase="all"), Tape("live"))
    outcome.runner.close()
    return outcome.result.results


def describe(rows):
    return "\n".join(f"{r['status']} {r['check']} {r['resource']} {r['message']}" for r in rows)


def test_healthy_job_has_no_fail_warn_or_error_in_any_check(auth_servers, kube_job, jarvice_api,
                                                             registry):
    seeded = kube_job(JobSpec(), keycloak_issuer=auth_servers.issuer)
    results = whole_run(auth_servers, seeded, jarvice_api)
    bad = [r for r in results if r["status"] in ("fail", "warn", "error")]
    assert not bad, describe(bad)
    assert {r["check"] for r in results} == set(registry.checks)
    passed = {r["check"] for r in results if r["status"] == "pass"}
    assert len(passed) >= len(registry.checks) - 3, describe(r for r in results if r["check"] not in passed)


def test_all_problems_at_once_each_reported_by_its_check(auth_faults, kube_job, jarvice_api):
    spec = JobSpec(faults=frozenset(FAULT_CHECKS))
    auth = auth_faults(*sorted(KEYCLOAK))
    seeded = kube_job(spec, keycloak_issuer=auth.issuer)
    results = whole_run(auth, seeded, jarvice_api)
    reported = {r["check"] for r in results if r["status"] in ("fail", "warn")}
    missing = {fault: check for fault, check in FAULT_CHECKS.items() if check not in reported}
    assert not missing, f"not reported: {missing}\n{describe(results)}"
    expected = set(FAULT_CHECKS.values())
    stray = [r for r in results if r["status"] in ("fail", "warn", "error")
             and r["check"] not in expected and r.get("cause") not in expected]
    assert not stray, "failing without a cause link to a faulted check:\n" + describe(stray)
