"""RBAC against the real kube-apiserver (RBAC on): the generated roles, a missing permission, deploy/.

Run: python -m pytest -p tests.servers.kube_fixtures tests/integration/test_rbac_kube.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kfdoctor import KubeRead
from kfdoctor.engine.plugins import load_registry
from kfdoctor.rbac import declared_reads, role_documents
from tests.integration.live import cluster_settings, run_live

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NAMESPACE = "kfdoctor"


def apply(kube_server, docs, dry_run: bool = False) -> None:
    """Create each object (or merge-patch it when it exists), as the admin."""
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import ConflictError

    dyn = DynamicClient(kube_server.api_client())
    for doc in docs:
        resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        namespace = doc["metadata"].get("namespace")
        extra = {"dry_run": "All"} if dry_run else {}
        try:
            resource.create(body=doc, namespace=namespace, **extra)
        except ConflictError:
            resource.patch(body=doc, name=doc["metadata"]["name"], namespace=namespace,
                           content_type="application/merge-patch+json", **extra)


def ensure_namespace(kube_server) -> None:
    apply(kube_server, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])


def service_account_kubeconfig(kube_server, registry, name, reads=None) -> Path:
    """A ServiceAccount bound to the read role built from ``reads`` (default: all declared)."""
    ensure_namespace(kube_server)
    apply(kube_server, role_documents(registry, "read", NAMESPACE, name, reads))
    return kube_server.kubeconfig_for_service_account(NAMESPACE, name)


def forbidden_rows(result) -> list[dict]:
    return [r for r in result.results
            if "permission" in (r.get("evidence") or {}) or "forbidden" in r["message"].lower()]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_every_check_runs_under_the_generated_read_only_role(kube_job, kube_server, registry):
    seeded = kube_job()
    kubeconfig = service_account_kubeconfig(kube_server, registry, "kfdoctor")
    outcome = run_live(cluster_settings(seeded, kubeconfig=str(kubeconfig)))
    assert not forbidden_rows(outcome.result), forbidden_rows(outcome.result)
    judged = {r["check"] for r in outcome.result.results if r["status"] in ("pass", "warn", "fail")}
    kube_checks = {cid for cid, spec in registry.checks.items()
                   if "kube" in registry.fixture_closure(spec.fixture_names)}
    assert judged & kube_checks, "no Kubernetes check judged anything"
    admin = run_live(cluster_settings(seeded))
    assert sorted((r["check"], r["status"]) for r in outcome.result.results) == \
        sorted((r["check"], r["status"]) for r in admin.result.results)


MISSING = [KubeRead("list", "storage.k8s.io", "storageclasses", namespaced=False),
           KubeRead("list", "", "pods")]


@pytest.mark.parametrize("missing", MISSING, ids=lambda r: r.resource)
def test_a_missing_permission_errors_exactly_the_dependent_checks(kube_job, kube_server, registry,
                                                                    missing, tmp_path):
    seeded = kube_job()
    full = run_live(cluster_settings(seeded, kubeconfig=str(
        service_account_kubeconfig(kube_server, registry, "kfdoctor"))))
    name = f"kfdoctor-no-{missing.resource}"
    kubeconfig = service_account_kubeconfig(kube_server, registry, name,
                                            declared_reads(registry) - {missing})
    partial = run_live(cluster_settings(seeded, kubeconfig=str(kubeconfig)))
    permission = f"list {missing.resource}" + (f".{missing.group}" if missing.group else "")
    errored = {r["check"] for r in partial.result.results
               if r["status"] == "error" and r["evidence"].get("permission") == permission}
    # The fixtures that hit the Forbidden read all declare it; the checks that need them error
    # (or skip, when another of their fixtures skipped first); no other check changes.
    failed = {name for name, error in partial.runner.session.failures().items()
              if getattr(error.error, "permission", "") == permission}
    declaring = {name for name, spec in registry.fixtures.items() if missing in spec.reads}
    assert failed and failed <= declaring, (failed, declaring)
    needing = {cid for cid, spec in registry.checks.items()
               if failed & set(registry.fixture_closure(spec.fixture_names))}
    assert errored and errored <= needing, (errored, needing)
    statuses = {}
    for row in partial.result.results:
        statuses.setdefault(row["check"], set()).add(row["status"])
    assert all(statuses[c] == {"skip"} for c in needing - errored), \
        {c: statuses[c] for c in needing - errored}
    for row in partial.result.results:
        if row["check"] in errored:
            assert row["evidence"]["grant"].startswith("kubectl create clusterrole")
            assert permission in row["message"] and "kubectl create clusterrole" in row["message"]
    others = lambda result: sorted((r["check"], r["status"]) for r in result.results  # noqa: E731
                                   if r["check"] not in needing)
    assert others(partial.result) == others(full.result)

    # The command line: no traceback, no retry loop, and not a usage error (exit 1, not 2).
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR_")}
    proc = subprocess.run([sys.executable, "-m", "kfdoctor", "check", "--kubeconfig", str(kubeconfig),
                           "--job", str(seeded.spec.number), "--realm", seeded.spec.realm,
                           "-o", "json"], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = json.loads(proc.stdout)["results"]
    assert any(r["status"] == "error" and r["evidence"].get("permission") == permission for r in rows)


def test_deploy_manifests_apply_and_the_publisher_role_suffices(kube_server, tmp_path):
    docs = [d for p in sorted(DEPLOY.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]
    apply(kube_server, docs[:1])                           # the namespace, for real
    apply(kube_server, docs[1:], dry_run=True)             # server-side validation of the rest
    apply(kube_server, docs[1:])                           # and for real
    optional = [d for d in yaml.safe_load_all((DEPLOY / "optional" / "rbac-fix.yaml").read_text()) if d]
    apply(kube_server, optional, dry_run=True)

    from kubernetes import client

    batch = client.BatchV1Api(kube_server.api_client())
    cron = batch.read_namespaced_cron_job("kfdoctor", NAMESPACE)
    assert cron.spec.job_template.spec.template.spec.service_account_name == "kfdoctor"

    kubeconfig = kube_server.kubeconfig_for_service_account(NAMESPACE, "kfdoctor")
    results = tmp_path / "results"
    results.mkdir()
    (results / "results.json").write_text('{"schema": "kfdoctor/results/v1"}')
    (results / "report.html").write_text("<html>report</html>")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR_")}
    core = client.CoreV1Api(kube_server.api_client())
    try:
        core.delete_namespaced_config_map("kfdoctor-results", NAMESPACE)
    except client.exceptions.ApiException:
        pass
    for expected in ("created", "replaced"):
        proc = subprocess.run([sys.executable, "-m", "kfdoctor.publish", str(results),
                               "--kubeconfig", str(kubeconfig), "--namespace", NAMESPACE,
                               "--exit-code", "1"], capture_output=True, text=True, timeout=60,
                              env=env)
        assert proc.returncode == 0 and expected in proc.stderr, proc.stderr
    published = core.read_namespaced_config_map("kfdoctor-results", NAMESPACE)
    assert published.data["report.html"] == "<html>report</html>"
    assert published.metadata.annotations["kfdoctor.io/exit-code"] == "1"
    # The publisher may touch only its own ConfigMap.
    other = subprocess.run([sys.executable, "-m", "kfdoctor.publish", str(results), "--kubeconfig",
                            str(kubeconfig), "--namespace", NAMESPACE, "--name", "kfdoctor-config"],
                           capture_output=True, text=True, timeout=60, env=env)
    assert other.returncode == 2 and "forbidden" in other.stderr and "Traceback" not in other.stderr


FIX_CASES = [  # (fault, check, extra fix options), as tests/integration/test_fix_kube.py
    ("kserve_domain_missing", "kserve_domain_configured", ()),
    ("user_host_missing", "kserve_user_hosts_exposed", ()),
    ("whitelist_policy_missing", "kserve_paths_whitelisted", ("--add-path", "/v1/metadata/*")),
    ("two_default_classes", "storage_default_class_unique", ("--default-class", "local-path")),
]


@pytest.mark.parametrize("fault,check,extra", FIX_CASES, ids=[c[1] for c in FIX_CASES])
def test_fix_and_undo_under_the_generated_fix_role(kube_job, kube_server, registry, tmp_path,
                                                   fault, check, extra):
    """The writes the remediations declare are enough for kfdoctor fix and its undo."""
    from tests.integration.fixhelp import cli
    from tests.servers.job import JobSpec

    seeded = kube_job(JobSpec(faults=frozenset({fault})))
    ensure_namespace(kube_server)
    apply(kube_server, role_documents(registry, "fix", NAMESPACE, "kfdoctor"))
    kubeconfig = kube_server.kubeconfig_for_service_account(NAMESPACE, "kfdoctor-fix")
    journal = tmp_path / "journal.json"
    fixed = cli("fix", check, "--kubeconfig", kubeconfig, *extra, "--yes", "--journal", journal)
    assert fixed.exit_code == 0, fixed.stdout
    assert "FIXED" in fixed.stdout and "NOT FIXED" not in fixed.stdout
    assert "forbidden" not in fixed.stdout.lower()
    undone = cli("fix", "--undo", journal, "--kubeconfig", kubeconfig)
    assert undone.exit_code == 0, undone.stdout
    assert "forbidden" not in undone.stdout.lower()
