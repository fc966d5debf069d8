"""The Plan model and the journal, against in-memory fakes of the sources."""
import copy
import json

import pytest

from kfdoctor.engine.model import Resource
from kfdoctor.fixing import fixer
from kfdoctor.fixing.journal import Journal
from kfdoctor.fixing import plan as plan_module
from kfdoctor.fixing.plan import (Action, Change, KeycloakCreate, KeycloakUpdate, KubeAwaitRollout,
                                  KubeCreate, KubePatch, NotRestorable, Plan, PrintOnly, WriteFile,
                                  merge_patch, rollout_pending)
from kfdoctor.sources.errors import Conflict, NotFound

ANN = "storageclass.kubernetes.io/is-default-class"


def merge(target, patch):
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class FakeKube:
    def __init__(self):
        self.objects, self.version, self.writes = {}, 100, []

    def version_of(self, kind):
        return kind.version

    def add(self, path, obj):
        self.version += 1
        obj = copy.deepcopy(obj)
        obj["metadata"].update(resourceVersion=str(self.version), uid=f"uid-{self.version}")
        self.objects[path] = obj
        return obj

    def read_fresh(self, path):
        if path not in self.objects:
            raise NotFound(path)
        return copy.deepcopy(self.objects[path])

    def write(self, method, path, body=None, dry_run=False):
        self.writes.append((method, path, dry_run))
        if method == "PATCH":
            obj = self.read_fresh(path)
            wanted = (body.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != obj["metadata"]["resourceVersion"]:
                raise Conflict(f"PATCH {path}: 409 Conflict")
            if dry_run:
                return obj
            patch = copy.deepcopy(body)
            patch["metadata"].pop("resourceVersion", None)
            merge(obj, patch)
            self.version += 1
            obj["metadata"]["resourceVersion"] = str(self.version)
            self.objects[path] = obj
            return copy.deepcopy(obj)
        if method == "POST":
            full = f"{path}/{body['metadata']['name']}"
            if full in self.objects:
                raise Conflict("exists")
            return copy.deepcopy(body) if dry_run else self.add(full, body)
        if method == "DELETE":
            if body["preconditions"]["uid"] != self.objects[path]["metadata"]["uid"]:
                raise Conflict("uid")
            if not dry_run:
                del self.objects[path]
            return {}
        raise AssertionError(method)


class FakeKeycloak:
    def __init__(self):
        self.reps = {}
        self.down = False

    def __call__(self, method, path, body=None, query=None):
        if self.down:
            from kfdoctor.sources.errors import Unreachable
            raise Unreachable("Keycloak stopped answering")
        if method == "GET":
            if path not in self.reps:
                raise NotFound(path)
            return copy.deepcopy(self.reps[path])
        if method == "PUT":
            rep = copy.deepcopy(body)
            attrs = rep.get("attributes") or {}
            rep["attributes"] = {k: v for k, v in attrs.items() if v != ""}
            self.reps[path] = rep
            return None
        if method == "POST":
            item = dict(body, id=f"id-{len(self.reps[path])}")
            self.reps[path].append(item)
            return None
        if method == "DELETE":
            collection, item_id = path.rsplit("/", 1)
            self.reps[collection] = [i for i in self.reps[collection] if i["id"] != item_id]
            return None
        raise AssertionError(method)


class Ctx:
    def __init__(self, kube=None, keycloak=None):
        self.kube = kube or FakeKube()
        self.keycloak_call = keycloak or FakeKeycloak()
        self._versions = {}

    expected_version = fixer.FixContext.expected_version
    produced = fixer.FixContext.produced


SC_PATH = "/apis/storage.k8s.io/v1/storageclasses"


def storage_class(name, default):
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, "annotations": {ANN: "true"} if default else {}},
            "provisioner": "x"}


@pytest.fixture
def two_defaults():
    ctx = Ctx()
    a = ctx.kube.add(f"{SC_PATH}/a", storage_class("a", True))
    b = ctx.kube.add(f"{SC_PATH}/b", storage_class("b", True))
    return ctx, a, b


def patch_b(b):
    return KubePatch.of(b, {("metadata", "annotations", ANN): "false"})


def run(plans, ctx, tmp_path, monkeypatch, on_applied=None):
    monkeypatch.setattr(fixer, "FixContext", lambda settings: ctx)
    journal = Journal.create(tmp_path / "journal.json", {"kubeconfig": "k"})
    fixes = [fixer.PlannedFix(p) for p in plans]
    for fix in fixes:
        fix.plan.check, fix.plan.resource = "storage_default_class_unique", Resource("SC", "x")
    fixer.apply(fixes, None, journal, lambda text: None, on_applied)
    return fixes, journal


def test_merge_patch_nests_paths_and_deletes_with_null():
    changes = [Change(("metadata", "annotations", "a.b/c"), None, "x"),
               Change(("metadata", "labels", "l"), "v", None)]
    assert merge_patch(changes, "after") == {"metadata": {"annotations": {"a.b/c": "x"},
                                                          "labels": {"l": None}}}
    assert merge_patch(changes, "before") == {"metadata": {"annotations": {"a.b/c": None},
                                                           "labels": {"l": "v"}}}


def test_kube_patch_dry_runs_then_applies_with_the_planned_resource_version(two_defaults):
    ctx, _, b = two_defaults
    action = patch_b(b)
    captured = action.capture(ctx)
    assert captured.before["fields"] == {f"metadata.annotations[{ANN!r}]": "true"}
    action.apply(ctx, captured)
    assert [w[2] for w in ctx.kube.writes] == [True, False]
    assert ctx.kube.objects[f"{SC_PATH}/b"]["metadata"]["annotations"][ANN] == "false"
    assert action.capture(ctx).noop     # a second run changes nothing


def test_a_change_between_plan_and_apply_is_a_conflict_and_not_overwritten(two_defaults):
    ctx, _, b = two_defaults
    action = patch_b(b)
    ctx.kube.write("PATCH", f"{SC_PATH}/b", {"metadata": {"labels": {"someone": "else"}}})
    with pytest.raises(Conflict, match="changed since the plan"):
        action.capture(ctx)
    assert ctx.kube.objects[f"{SC_PATH}/b"]["metadata"]["annotations"][ANN] == "true"


def test_409_between_capture_and_apply_is_a_conflict(two_defaults, tmp_path, monkeypatch):
    ctx, _, b = two_defaults

    class Racing(KubePatch):
        def capture(self, ctx):
            captured = super().capture(ctx)
            ctx.kube.write("PATCH", f"{SC_PATH}/b", {"metadata": {"labels": {"x": "y"}}})
            return captured
    action = Racing(**{k: getattr(patch_b(b), k) for k in ("kind", "namespace", "name",
                                                            "changes", "resource_version")})
    fixes, journal = run([Plan("p", [action])], ctx, tmp_path, monkeypatch)
    assert fixes[0].outcome == fixer.FAILED and "conflict" in fixes[0].reason
    saved = json.loads(journal.path.read_text())
    assert saved["plans"][0]["actions"][0]["state"] == "conflict"
    assert ctx.kube.objects[f"{SC_PATH}/b"]["metadata"]["annotations"][ANN] == "true"


def test_two_plans_on_one_object_follow_the_run_s_own_versions(two_defaults, tmp_path, monkeypatch):
    ctx, a, _ = two_defaults
    first = KubePatch.of(a, {("metadata", "labels", "one"): "1"})
    second = KubePatch.of(a, {("metadata", "labels", "two"): "2"})
    fixes, _ = run([Plan("1", [first]), Plan("2", [second])], ctx, tmp_path, monkeypatch)
    assert [f.changed for f in fixes] == [True, True]


def test_journal_holds_the_before_state_before_apply_and_undo_restores(two_defaults, tmp_path,
                                                                       monkeypatch):
    ctx, a, b = two_defaults
    seen = []

    def crash_after_first(fix, action):
        seen.append(json.loads((tmp_path / "journal.json").read_text()))
        raise KeyboardInterrupt   # the process dies half-way
    plan = Plan("unmark", [patch_b(b), KubePatch.of(a, {("metadata", "labels", "x"): "y"})])
    with pytest.raises(KeyboardInterrupt):
        run([plan], ctx, tmp_path, monkeypatch, on_applied=crash_after_first)
    record = seen[0]["plans"][0]["actions"][0]
    assert record["state"] == "applied" and record["before"]["fields"]
    journal = Journal.load(tmp_path / "journal.json")
    assert journal.data["status"] == "running"
    report = fixer.undo(journal, None, lambda text: None)
    assert report.restored == ["StorageClass b restored"] and not report.not_restored
    assert ctx.kube.objects[f"{SC_PATH}/b"]["metadata"]["annotations"][ANN] == "true"
    again = fixer.undo(Journal.load(tmp_path / "journal.json"), None, lambda text: None)
    assert again.restored == [] and again.not_restored == []


def test_crash_while_applying_leaves_an_applying_record_undo_can_use(two_defaults, tmp_path,
                                                                     monkeypatch):
    ctx, _, b = two_defaults

    class Dies(KubePatch):
        def apply(self, ctx, captured):
            super().apply(ctx, captured)
            raise SystemExit("killed")
    action = Dies(**{k: getattr(patch_b(b), k) for k in ("kind", "namespace", "name", "changes",
                                                          "resource_version")})
    with pytest.raises(SystemExit):
        run([Plan("p", [action])], ctx, tmp_path, monkeypatch)
    journal = Journal.load(tmp_path / "journal.json")
    assert journal.data["plans"][0]["actions"][0]["state"] == "applying"
    journal.data["plans"][0]["actions"][0]["action"]["type"] = "KubePatch"
    report = fixer.undo(journal, None, lambda text: None)
    assert report.restored == ["StorageClass b restored"]


def test_undo_does_not_overwrite_a_later_change(two_defaults, tmp_path, monkeypatch):
    ctx, _, b = two_defaults
    run([Plan("p", [patch_b(b)])], ctx, tmp_path, monkeypatch)
    ctx.kube.write("PATCH", f"{SC_PATH}/b", {"metadata": {"annotations": {ANN: "maybe"}}})
    report = fixer.undo(Journal.load(tmp_path / "journal.json"), None, lambda text: None)
    assert report.not_restored and "changed since the fix" in report.not_restored[0]
    assert ctx.kube.objects[f"{SC_PATH}/b"]["metadata"]["annotations"][ANN] == "maybe"


def test_kube_create_undo_deletes_only_what_it_created(tmp_path, monkeypatch):
    ctx = Ctx()
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "sysctl-config", "namespace": "kube-system"}, "spec": {"x": 1}}
    fixes, journal = run([Plan("create", [KubeCreate(ds)])], ctx, tmp_path, monkeypatch)
    path = "/apis/apps/v1/namespaces/kube-system/daemonsets/sysctl-config"
    assert path in ctx.kube.objects and fixes[0].changed
    assert KubeCreate(ds).capture(ctx).noop
    # someone recreated it: undo leaves that one alone
    del ctx.kube.objects[path]
    ctx.kube.add(path, ds)
    report = fixer.undo(Journal.load(journal.path), None, lambda text: None)
    assert "not the object the fix created" in report.not_restored[0]
    assert path in ctx.kube.objects


DS_PATH = "/apis/apps/v1/namespaces/kube-system/daemonsets/sysctl-config"


def daemonset(generation=2, observed=2, desired=3, updated=3, available=3):
    return {"kind": "DaemonSet", "metadata": {"name": "sysctl-config", "namespace": "kube-system",
                                              "generation": generation},
            "status": {"observedGeneration": observed, "desiredNumberScheduled": desired,
                       "updatedNumberScheduled": updated, "numberAvailable": available}}


@pytest.mark.parametrize("obj, pending", [
    (daemonset(), None),
    (daemonset(observed=1), "its controller has not seen the latest spec yet"),
    (daemonset(updated=2), "2 of 3 nodes updated and available"),
    (daemonset(available=0), "0 of 3 nodes updated and available"),
    ({"kind": "Deployment", "metadata": {"generation": 1}, "spec": {"replicas": 2},
      "status": {"observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 1}},
     "1 of 2 replicas updated and available"),
    ({"kind": "DaemonSet", "metadata": {"generation": 1}}, "its controller has not seen the latest spec yet"),
])
def test_rollout_pending_follows_kubectl_rollout_status(obj, pending):
    assert rollout_pending(obj) == pending


def test_waiting_for_a_rollout_polls_until_done_changes_nothing_and_gives_up_in_time(
        tmp_path, monkeypatch):
    ctx = Ctx()
    ctx.kube.add(DS_PATH, daemonset(available=0))
    polls = []

    def controller_after_two_polls(seconds):
        polls.append(seconds)
        if len(polls) == 2:
            ctx.kube.objects[DS_PATH]["status"]["numberAvailable"] = 3
    monkeypatch.setattr(plan_module.time, "sleep", controller_after_two_polls)
    wait = KubeAwaitRollout("DaemonSet", "kube-system", "sysctl-config", timeout=60)
    assert "WAIT until DaemonSet kube-system/sysctl-config has rolled out" in wait.preview()
    fixes, journal = run([Plan("wait", [wait])], ctx, tmp_path, monkeypatch)
    record = journal.data["plans"][0]["actions"][0]
    assert (record["state"], record["result"]["rolled_out"], len(polls)) == ("applied", True, 2)
    assert not fixes[0].changed and fixes[0].outcome == fixer.UNCHANGED
    assert wait.capture(ctx).noop
    assert "nothing to undo" in wait.undo(ctx, record)

    ctx.kube.objects[DS_PATH]["status"]["numberAvailable"] = 0
    clock = iter(range(0, 1000, 30))
    monkeypatch.setattr(plan_module.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(plan_module.time, "sleep", lambda seconds: None)
    result = wait.apply(ctx, wait.capture(ctx))
    assert result == {"rolled_out": False, "waited_s": 60, "pending": "0 of 3 nodes updated and available"}


def test_a_plan_never_creates_or_deletes_claims_or_volumes():
    with pytest.raises(ValueError):
        KubeCreate({"kind": "PersistentVolumeClaim", "metadata": {"name": "x"}})


def test_keycloak_update_conflict_idempotence_and_absent_attribute_undo():
    kc = FakeKeycloak()
    kc.reps["clients/u"] = {"id": "u", "clientId": "kns-job-5", "attributes": {"x": "1"}}
    ctx = Ctx(keycloak=kc)
    rep = kc("GET", "clients/u")
    action = KeycloakUpdate.of("clients/u", "client kns-job-5", rep,
                               {("attributes", "access.token.lifespan"): "7260"})
    captured = action.capture(ctx)
    action.apply(ctx, captured)
    assert kc.reps["clients/u"]["attributes"]["access.token.lifespan"] == "7260"
    assert action.capture(ctx).noop
    assert action.undo(ctx, {}) == "client kns-job-5 restored"
    assert kc.reps["clients/u"]["attributes"] == {"x": "1"}
    kc.reps["clients/u"]["attributes"]["access.token.lifespan"] = "60"
    with pytest.raises(Conflict):
        action.capture(ctx)


def test_keycloak_create_and_undo_removes_only_its_item():
    kc = FakeKeycloak()
    kc.reps["clients/u/protocol-mappers/models"] = []
    ctx = Ctx(keycloak=kc)
    mapper = {"name": "aud", "protocolMapper": "oidc-audience-mapper",
              "config": {"included.client.audience": "kns-job-5"}}
    action = KeycloakCreate("clients/u/protocol-mappers/models", "audience mapper", mapper)
    result = action.apply(ctx, action.capture(ctx))
    assert action.capture(ctx).noop
    assert "deleted" in action.undo(ctx, {"result": result})
    assert kc.reps["clients/u/protocol-mappers/models"] == []


def test_write_file_never_in_place_and_undo_removes_it(tmp_path):
    original = tmp_path / "appdef.json"
    original.write_text('{"a": 1}\n')
    with pytest.raises(ValueError):
        WriteFile(str(original), "{}", str(original))
    action = WriteFile(str(tmp_path / "appdef.fixed.json"), '{"a": 2}\n', str(original))
    assert '-{"a": 1}' in action.preview() and '+{"a": 2}' in action.preview()
    captured = action.capture(Ctx())
    action.apply(None, captured)
    assert action.capture(None).noop
    assert "removed" in action.undo(None, {"before": captured.before})
    assert not (tmp_path / "appdef.fixed.json").exists() and original.read_text() == '{"a": 1}\n'


def test_actions_round_trip_through_json():
    actions = [KubePatch("StorageClass", None, "b", [Change(("metadata", "annotations", ANN),
                                                            "true", "false")], "7"),
               KubeCreate({"kind": "DaemonSet", "metadata": {"name": "d", "namespace": "n"}}),
               KeycloakUpdate("", "realm", [Change(("accessTokenLifespan",), 300, 7260)]),
               KubeAwaitRollout("DaemonSet", "kube-system", "sysctl-config", 90.0),
               PrintOnly("sysctl -w ...")]
    for action in actions:
        again = Action.from_dict(json.loads(json.dumps(action.to_dict())))
        assert again == action


def test_manual_plans_and_disruptive_plans_are_not_applied(tmp_path, monkeypatch):
    manual = Plan.manual_only("recreate the PVC by hand", "kubectl ...")
    assert manual.manual and "manual only" in manual.diff()
    fixes, journal = run([manual], Ctx(), tmp_path, monkeypatch)
    assert not fixes[0].changed
    saved = json.loads(journal.path.read_text())
    assert saved["plans"][0]["actions"][0]["state"] == "printed"


def test_a_plan_with_a_settle_window_is_rechecked_until_it_passes(tmp_path, monkeypatch):
    import types

    import kfdoctor.run

    resource = Resource("URL", "http://job")
    statuses = iter(["fail", "fail", "pass", "pass"])
    calls = []

    def execute(settings, selection, tape, registry=None, values=None):
        calls.append(selection)
        row = {"check": "access_gotty_header_conflict", "resource": resource.to_dict(),
               "status": next(statuses), "message": "the gateway answers 403"}
        return types.SimpleNamespace(runner=types.SimpleNamespace(close=lambda: None),
                                     result=types.SimpleNamespace(results=[row]))
    monkeypatch.setattr(kfdoctor.run, "execute", execute)
    monkeypatch.setattr(fixer.time, "sleep", lambda seconds: None)
    journal = Journal.create(tmp_path / "journal.json", {"kubeconfig": "k"})

    def verified(settle_s):
        fix = fixer.PlannedFix(Plan("install", [], settle_s=settle_s))
        fix.plan.check, fix.plan.resource = "access_gotty_header_conflict", resource
        fix.entry = journal.add_plan(fix.plan)
        fixer.verify([fix], None, None, journal)
        return fix

    patient = verified(settle_s=60)
    assert (patient.outcome, len(calls)) == (fixer.FIXED, 3)
    assert patient.entry["outcome"] == fixer.FIXED
    calls.clear()
    statuses = iter(["fail", "pass"])
    hasty = verified(settle_s=0)
    assert (hasty.outcome, len(calls)) == (fixer.NOT_FIXED, 1)
    assert "the check still reports: the gateway answers 403" in hasty.reason
