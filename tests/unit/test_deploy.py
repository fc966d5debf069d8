"""deploy/: the roles are exactly `kfdoctor rbac`, every manifest parses, the CronJob runs check in-cluster."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
GENERATED = {"10-rbac-read.yaml": "read", "optional/rbac-fix.yaml": "fix"}


@pytest.mark.parametrize("file,role", GENERATED.items())
def test_deploy_roles_match_kfdoctor_rbac(file, role):
    proc = subprocess.run([sys.executable, "-m", "kfdoctor", "rbac", "--role", role],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (DEPLOY / file).read_text() == proc.stdout, (
        f"deploy/{file} differs from `kfdoctor rbac --role {role}`; regenerate it: "
        f"kfdoctor rbac --role {role} > deploy/{file}")


def manifests():
    return {str(p.relative_to(DEPLOY)): [d for d in yaml.safe_load_all(p.read_text()) if d]
            for p in sorted(DEPLOY.rglob("*.yaml"))}


def test_every_manifest_parses_and_lives_in_the_kfdoctor_namespace():
    for name, docs in manifests().items():
        for doc in docs:
            assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], name
            if doc["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
                assert doc["metadata"]["namespace"] == "kfdoctor", (name, doc["kind"])


def test_cronjob_runs_check_in_cluster_and_publishes():
    docs = {d["kind"]: d for d in manifests()["30-cronjob.yaml"]}
    pod = docs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "kfdoctor"
    script = " ".join(pod["containers"][0]["command"])
    assert "kfdoctor check --in-cluster --config /etc/kfdoctor/kfdoctor.toml" in script
    assert "python -m kfdoctor.publish /results --in-cluster" in script
    toml = docs["ConfigMap"]["data"]["kfdoctor.toml"]
    from kfdoctor.configfile import load_file
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as handle:
        handle.write(toml)
    values, _ = load_file(Path(handle.name))        # the shipped config is valid
    assert str(values["json"]) == "/results/results.json"
    assert str(values["report"]) == "/results/report.html"
    readme = (DEPLOY / "README.md").read_text()
    assert "kfdoctor-results" in readme and "report.html" in readme
