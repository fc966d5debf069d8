"""kfdoctor rbac: every Kubernetes read and write is declared, and the roles are built from them."""
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kfdoctor import KubeRead
from kfdoctor.engine.fixtures import FixtureScope
from kfdoctor.engine.registry import Registry, fixture
from kfdoctor.engine.runner import Runner
from kfdoctor.engine.model import Status
from kfdoctor.rbac import declared_reads, declared_writes, documents, rules, to_yaml
from kfdoctor.sources.errors import Forbidden
from kfdoctor.sources.kinds import KINDS
from kfdoctor.sources.kube import forbidden

ROOT = Path(__file__).resolve().parents[2]


# -- meta-tests: declarations -------------------------------------------------------------------
def test_every_fixture_that_uses_kube_declares_its_reads(registry):
    missing = [name for name, spec in registry.fixtures.items()
               if "kube" in spec.argnames and not spec.reads]
    assert not missing, (f"fixtures {missing} take `kube` but declare no reads: add "
                         "@fixture(reads=[KubeRead(verb, group, resource)])")


def test_every_fixture_that_writes_through_kube_declares_its_writes(registry):
    missing = []
    for name, spec in registry.fixtures.items():
        source = inspect.getsource(inspect.getmodule(spec.func))
        if "kube" in spec.argnames and ".write(" in source and not spec.writes:
            missing.append(name)
    assert not missing, f"fixtures {missing} write to the cluster but declare no writes"


def test_every_kubernetes_remediation_declares_its_writes(registry):
    missing = []
    for check_id, spec in registry.remediations.items():
        source = inspect.getsource(inspect.getmodule(spec.func))
        if any(f"{action}(" in source or f"{action}.of(" in source
               for action in ("KubePatch", "KubeCreate", "KubeDelete")) and not spec.writes:
            missing.append(check_id)
    assert not missing, (f"remediations of {missing} change Kubernetes objects but declare no "
                         "writes: @remediation(..., writes=[KubeRead('patch', group, resource)])")


def test_every_kind_is_in_the_read_only_role(registry):
    reads = declared_reads(registry)
    for kind in KINDS:
        assert KubeRead("list", kind.group, kind.plural, kind.namespaced) in reads, kind


def test_read_only_role_has_no_write_verb(registry):
    role = next(d for d in documents(registry, "read") if d["kind"] == "ClusterRole")
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert verbs <= {"get", "list", "watch"}, verbs
    fix = next(d for d in documents(registry, "fix") if d["kind"] == "ClusterRole")
    fix_perms = {(g, r, v) for rule in fix["rules"] if "apiGroups" in rule
                 for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    for write in declared_writes(registry):
        assert (write.group, write.full_resource, write.verb) in fix_perms


# -- the generated documents -------------------------------------------------------------------------
def test_rules_group_by_api_group_and_verbs():
    out = rules([KubeRead("list", "", "pods"), KubeRead("list", "", "nodes", False),
                 KubeRead("get", "", "pods", subresource="log"), KubeRead("list", "apps", "deployments"),
                 KubeRead("get", "", "version", False)])
    assert {"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": ["list"]} in out
    assert {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]} in out
    assert {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]} in out
    urls = [r for r in out if "nonResourceURLs" in r]
    assert urls and "/version" in urls[0]["nonResourceURLs"] and "/apis/*" in urls[0]["nonResourceURLs"]


def test_yaml_round_trips(registry):
    docs = documents(registry, "all", namespace="ops", name="doc")
    assert list(yaml.safe_load_all(to_yaml(docs))) == docs
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert kinds == [("ServiceAccount", "doc"), ("ClusterRole", "doc-read"),
                     ("ClusterRoleBinding", "doc-read"), ("ServiceAccount", "doc-fix"),
                     ("ClusterRole", "doc-fix"), ("ClusterRoleBinding", "doc-fix")]
    binding = docs[2]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "doc", "namespace": "ops"}]
    assert binding["roleRef"]["name"] == "doc-read"


def test_cli_rbac_yaml_and_json():
    proc = subprocess.run([sys.executable, "-m", "kfdoctor", "rbac"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    assert [d["kind"] for d in docs].count("ClusterRole") == 2
    proc = subprocess.run([sys.executable, "-m", "kfdoctor", "rbac", "--role", "read", "-o", "json",
                           "-n", "ops"], capture_output=True, text=True, timeout=60)
    items = json.loads(proc.stdout)["items"]
    assert [i["kind"] for i in items] == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]
    assert items[0]["metadata"]["namespace"] == "ops"
    bad = subprocess.run([sys.executable, "-m", "kfdoctor", "rbac", "--role", "admin"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--role must be one of" in bad.stderr


# -- Forbidden reads ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method,path,permission,flag", [
    ("GET", "/api/v1/pods", "list pods", "--resource=pods "),
    ("GET", "/apis/storage.k8s.io/v1/storageclasses", "list storageclasses.storage.k8s.io",
     "--resource=storageclasses.storage.k8s.io"),
    ("GET", "/api/v1/namespaces/a/pods/p/log", "get pods/log", "--resource=pods/log"),
    ("PATCH", "/apis/storage.k8s.io/v1/storageclasses/x", "patch storageclasses.storage.k8s.io",
     "--verb=patch"),
    ("GET", "/apis/kubeflow.org", "get /apis/kubeflow.org", "--non-resource-url=/apis/kubeflow.org"),
    ("GET", "/version", "get /version", "--non-resource-url=/version"),
])
def test_forbidden_names_the_permission_and_the_grant(method, path, permission, flag):
    error = forbidden("denied by RBAC", method, path)
    assert error.permission == permission
    assert flag in error.grant and error.grant.startswith("kubectl create clusterrole")
    assert permission in str(error) and error.grant in str(error)


def test_a_forbidden_read_errors_only_its_dependents_with_the_grant():
    """Engine level: a Forbidden fixture makes exactly its dependents error, with the grant."""
    import types

    from kfdoctor import check, ok

    module = types.ModuleType("fake_checks")

    @fixture(reads=[KubeRead("list", "", "pods")])
    def pods_list():
        raise forbidden("pods is forbidden", "GET", "/api/v1/pods")

    @fixture(reads=[KubeRead("list", "", "nodes", False)])
    def node_list():
        return [1]

    @fixture
    def derived(pods_list):
        return pods_list

    @check()
    def pods_a(pods_list):
        """A."""
        yield ok({"metadata": {"name": "x"}}, "fine")

    @check()
    def pods_b(derived):
        """B."""
        yield ok({"metadata": {"name": "x"}}, "fine")

    @check()
    def node_c(node_list):
        """C."""
        yield ok({"metadata": {"name": "x"}}, "fine")

    for f in (pods_list, node_list, derived, pods_a, pods_b, node_c):
        setattr(module, f.__name__, f)
    registry = Registry()
    registry.collect(module)
    runner = Runner(registry)
    runs = runner.run(list(registry.checks.values()))
    by_id = {r.spec.id: r.findings for r in runs}
    assert by_id["node_c"][0].status is Status.PASS
    for cid in ("pods_a", "pods_b"):
        finding = by_id[cid][0]
        assert finding.status is Status.ERROR
        assert finding.evidence["permission"] == "list pods"
        assert "kubectl create clusterrole" in finding.evidence["grant"]
        assert "kubectl create clusterrole" in finding.message


def test_forbidden_survives_a_recording():
    from kfdoctor.sources.tape import Tape

    tape = Tape("record")
    with pytest.raises(Forbidden):
        tape.read("kube", "list", {"kind": "Pod"},
                  lambda: (_ for _ in ()).throw(forbidden("no", "GET", "/api/v1/pods")))
    replay = Tape("replay", tape.entries)
    with pytest.raises(Forbidden) as caught:
        replay.read("kube", "list", {"kind": "Pod"}, lambda: None)
    assert caught.value.permission == "list pods" and "kubectl" in caught.value.grant
