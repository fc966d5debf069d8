"""Support bundles against the real servers: nothing seeded as a secret leaks, ``--from`` gives the
live run's findings, and a bundle made with forbidden reads completes naming what was skipped.

Run with ``python -m pytest -p tests.servers.kube_fixtures -p tests.servers.auth_fixtures
tests/integration/test_bundle.py``.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from kfdoctor.bundle.collect import Limits, make_bundle
from kfdoctor.run import Selection
from kfdoctor.settings import Settings
from tests.servers.job import JobSpec
from tests.servers.kubelet import LogKubelet

from .live import cluster_settings

pytestmark = pytest.mark.integration

FAULTS = frozenset({"pending_pvc", "two_default_classes", "low_inotify"})
SECRET_VALUE = "seeded-Secret-value-5f1c9a"
JWT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InNlZWQifQ."
       "eyJzdWIiOiJhbGljZSIsImF1ZCI6Imtucy1qb2ItNSIsImlzcyI6InNlZWQifQ."
       "c2VlZGVkLXNpZ25hdHVyZS1ub3QtcmVhbC0xMjM0NTY3ODkw")
COOKIE = "c2VlZGVkLWNvb2tpZS12YWx1ZQ==|1716000000|Zm9vYmFyYmF6cXV4"


def comparable(rows: list[dict]) -> list:
    return sorted((r["check"], r["status"], json.dumps(r["resource"], sort_keys=True), r["message"],
                   json.dumps(r["evidence"], sort_keys=True), r["cause"],
                   json.dumps(r.get("suppressed"), sort_keys=True)) for r in rows)


def seed_secrets(kubeconfig: str, client_secret: str, apikey: str) -> None:
    """A Secret, and secrets where kfdoctor reads: an Event, a ConfigMap, a failing pod's env."""
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    api.create_namespaced_secret("kubeflow", {"metadata": {"name": "seeded-secret"},
                                              "stringData": {"password": SECRET_VALUE}})
    api.create_namespaced_config_map("kubeflow", {"metadata": {"name": "seeded-config"}, "data": {
        "proxy.cfg": f'client_secret = "{client_secret}"\ncookie_secret = "{SECRET_VALUE}"\n',
        "jarvice.url": f"https://jarvice.example/jarvice/status?username=jdoe&apikey={apikey}"}})
    api.create_namespaced_event("kubeflow", {
        "metadata": {"name": "seeded-event"}, "type": "Warning", "reason": "LoginFailed",
        "involvedObject": {"kind": "Pod", "namespace": "kubeflow", "name": "oauth2-proxy"},
        "message": f"upstream got Authorization: Bearer {JWT}; Cookie: oauth2_proxy_kubeflow={COOKIE}; "
                   f"client secret {client_secret}",
        "firstTimestamp": "2024-05-01T10:00:00Z", "lastTimestamp": "2024-05-01T10:00:00Z",
        "source": {"component": "seed"}})
    create_crashing_pod(api, "seeded-crasher", "no-such-node",
                        env=[{"name": "OAUTH2_PROXY_COOKIE_SECRET", "value": SECRET_VALUE},
                             {"name": "OIDC_TOKEN", "value": JWT}],
                        args=[f"--client-secret={client_secret}",
                              f"--cookie=oauth2_proxy_kubeflow={COOKIE}"])


def create_crashing_pod(api, name: str, node: str, **container) -> None:
    """A pod in kubeflow on ``node`` whose container ``main`` is in CrashLoopBackOff (4 restarts)."""
    api.create_namespaced_pod("kubeflow", {
        "metadata": {"name": name, "labels": {"app": "seeded"}},
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": "busybox", **container}]}})
    api.patch_namespaced_pod_status(name, "kubeflow", {"status": {
        "phase": "Running", "containerStatuses": [{
            "name": "main", "image": "busybox", "imageID": "", "ready": False, "restartCount": 4,
            "started": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {}}]}})


def every_file(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def unpack(archive: Path, into: Path) -> Path:
    into.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    [root] = list(into.iterdir())
    return root


def replay(bundle: Path, tmp_path: Path) -> tuple[dict, dict[str, str]]:
    outputs = {"report.html": "--report", "results.json": "--json", "junit.xml": "--junit",
               "summary.md": "--markdown", "metrics.prom": "--prometheus"}
    args = []
    for name, flag in outputs.items():
        args += [flag, str(tmp_path / f"replay-{name}")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR")}
    done = subprocess.run([sys.executable, "-m", "kfdoctor", "check", "--from", str(bundle), "-o", "json",
                           *args], capture_output=True, text=True, env=env)
    assert done.returncode in (0, 1), done.stderr
    files = {f"replay-{n}": (tmp_path / f"replay-{n}").read_text() for n in outputs}
    files["replay-stdout"] = done.stdout
    return json.loads(done.stdout), files


def test_bundle_of_the_seeded_job_redacts_every_secret_and_replays_the_same_findings(
        kube_job, auth_servers, jarvice_api, tmp_path):
    auth = auth_servers
    seeded = kube_job(JobSpec(faults=FAULTS), keycloak_issuer=auth.issuer)
    seed_secrets(str(seeded.kubeconfig), auth.client_secret, jarvice_api.apikey)
    alice = auth.passwords["alice"]
    settings = cluster_settings(seeded, jarvice_api, keycloak_url=auth.keycloak_url,
                                keycloak_password=auth.admin_password, realm=auth.realm,
                                job_url=auth.envoy_url, probe_user="alice", probe_password=alice)
    archive = tmp_path / "bundle.tar.gz"
    summary = make_bundle(settings, Selection(), archive, Limits(log_lines=50, log_bytes=4096))
    assert archive.stat().st_size > 0
    root = unpack(archive, tmp_path / "unpacked")
    files = every_file(root)
    assert {"manifest.json", "redactions.json", "results.json", "report.html", "events.json",
            "recording/manifest.json", "recording/reads.json"} <= set(files)
    replayed, replay_files = replay(archive, tmp_path)
    secrets = {"Secret data": SECRET_VALUE, "Secret data (base64)": base64.b64encode(SECRET_VALUE.encode()).decode(),
               "Keycloak client secret": auth.client_secret, "Keycloak admin password": auth.admin_password,
               "probe password": alice, "JWT": JWT, "JWT signature": JWT.rsplit(".", 1)[1],
               "oauth2 cookie": COOKIE, "JARVICE API key": jarvice_api.apikey}
    leaks = [(what, name) for what, value in secrets.items()
             for name, text in {**files, **replay_files}.items() if value in text]
    assert leaks == [], f"secrets found in the bundle or its reports: {leaks}"
    redactions = json.loads(files["redactions.json"])
    kinds = {r["kind"] for r in redactions["redactions"]}
    assert {"cookie", "api-key", "client-secret", "authorization"} <= kinds, kinds
    assert redactions["count"] == len(redactions["redactions"]) > 0
    assert all(set(r) <= {"file", "read", "path", "line", "kind"} for r in redactions["redactions"])
    where = {r["file"] for r in redactions["redactions"]}
    assert {"recording/reads.json", "events.json"} <= where
    # every marker in every file is listed
    import re
    marker = re.compile(r"\[REDACTED:[a-z0-9-]+:[0-9a-f]{8}\]")
    for name, text in files.items():
        if name != "redactions.json":
            assert len(marker.findall(text)) == sum(1 for r in redactions["redactions"] if r["file"] == name), name
    # the same findings offline (timing and source aside)
    bundled = json.loads(files["results.json"])
    assert comparable(replayed["results"]) == comparable(bundled["results"])
    assert replayed["summary"] == bundled["summary"]
    assert {r["status"] for r in bundled["results"]} >= {"fail", "pass"}
    assert replayed["source"]["mode"] == "bundle"
    manifest = json.loads(files["manifest.json"])
    assert manifest["kind"] == "kfdoctor-bundle" and manifest["redaction"]["on"] is True
    assert manifest["kfdoctor_version"] and manifest["created_at"]
    events = json.loads(files["events.json"])
    assert any(e["metadata"]["name"] == "seeded-event" for e in events)
    # the crashing pod's log was asked for, bounded; without a kubelet it is named as skipped
    logs = next(c for c in manifest["collected"] if c["what"] == "logs of failing pods")
    asked = [s for s in manifest["skipped"] if "seeded-crasher" in s["what"]] + \
        [c for c in logs["containers"] if c["pod"] == "seeded-crasher"]
    assert asked, manifest["skipped"]
    for log in logs["containers"]:
        assert log["bytes"] <= 4096 and log["lines"] <= 50


def test_pod_logs_come_through_the_apiserver_bounded_and_redacted(kube_job, tmp_path):
    """A kubelet that ignores tailLines/limitBytes serves 3,000 lines; the bundle keeps the bounds."""
    from kubernetes import client, config

    seeded = kube_job(JobSpec())
    lines = [f"2026-12-04T10:{i // 60 % 60:02d}:{i % 60:02d}Z worker line {i:05d} " + "x" * 60
             for i in range(3000)]
    lines[-3] = f"2026-12-04T10:59:57Z sending Authorization: Bearer {JWT}"
    lines[-1] = "2026-12-04T10:59:59Z the last line before the crash"
    kubelet = LogKubelet("\n".join(lines) + "\n")
    api = client.CoreV1Api(config.new_client_from_config(config_file=str(seeded.kubeconfig)))
    try:
        node, status = kubelet.node("log-node")
        api.create_node(node)
        api.patch_node_status("log-node", {"status": status})
        create_crashing_pod(api, "logging-crasher", "log-node")
        settings = Settings(kubeconfig=str(seeded.kubeconfig), job=seeded.spec.number,
                            appdef=str(seeded.appdef_path), vault=seeded.vault_class)
        make_bundle(settings, Selection(), tmp_path / "b.tar.gz", Limits(log_lines=50, log_bytes=4096))
    finally:
        kubelet.stop()
    root = unpack(tmp_path / "b.tar.gz", tmp_path / "unpacked")
    manifest = json.loads((root / "manifest.json").read_text())

    logs = next(c for c in manifest["collected"] if c["what"] == "logs of failing pods")
    mine = [c for c in logs["containers"] if c["pod"] == "logging-crasher"]
    assert len(mine) == 2, logs                    # the current and the previous container
    for name in ("main.log", "main.previous.log"):
        data = (root / "logs" / "kubeflow" / "logging-crasher" / name).read_bytes()
        text = data.decode()
        assert len(data) <= 4096 and len(text.splitlines()) <= 50
        assert text.endswith(lines[-1] + "\n") and lines[-2] in text     # the tail, whole lines
        assert JWT not in text and "[REDACTED:" in text
    asked = [query for path, query in kubelet.requests
             if path == "/containerLogs/kubeflow/logging-crasher/main"]
    assert all("tailLines" in q and "limitBytes" in q for q in asked), asked   # the checks' reads too
    by_bundle = [q for q in asked if q["limitBytes"] == ["4096"]]
    assert sorted(q.get("previous", ["false"])[0] for q in by_bundle) == ["false", "true"], asked
    assert all(q["tailLines"] == ["50"] for q in by_bundle), asked
    leaks = [name for name, text in every_file(root).items() if JWT in text]
    assert leaks == [], leaks                      # nor in the recording of the checks' log reads


def test_a_bundle_with_forbidden_reads_completes_and_names_what_was_skipped(kube_job, kube_server, tmp_path):
    seeded = kube_job(JobSpec())
    restricted = kube_server.kubeconfig_for_user("kfdoctor-nobody", path=tmp_path / "nobody.yaml")
    settings = Settings(kubeconfig=str(restricted), job=seeded.spec.number, appdef=str(seeded.appdef_path),
                        vault=seeded.vault_class)
    archive = tmp_path / "restricted.tar.gz"
    summary = make_bundle(settings, Selection(), archive)
    root = unpack(archive, tmp_path / "unpacked")
    manifest = json.loads((root / "manifest.json").read_text())
    forbidden = [s for s in manifest["skipped"] if s["error"] == "Forbidden"]
    assert forbidden, manifest["skipped"]
    assert all(s["grant"].startswith("kubectl create clusterrole") for s in forbidden)
    assert any("Pod" in s["what"] or "pod" in s["what"] for s in forbidden)
    assert any("event" in s["what"].lower() for s in manifest["skipped"])
    results = json.loads((root / "results.json").read_text())
    assert results["results"] and any(r["status"] == "error" for r in results["results"])
    assert summary["skipped"]
    done = subprocess.run([sys.executable, "-m", "kfdoctor", "check", "--from", str(archive), "-o", "json"],
                          capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    assert comparable(json.loads(done.stdout)["results"]) == comparable(results["results"])
