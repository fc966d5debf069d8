"""Logs and events of a bundle respect their bounds; forbidden reads are named as skipped."""
from __future__ import annotations

from types import SimpleNamespace

from kfdoctor.bundle.collect import Limits, _Collector, _tail, _tape_skips, failing_containers
from kfdoctor.bundle.redact import Redactor
from kfdoctor.engine.fixtures import FixtureFailed
from kfdoctor.settings import Settings
from kfdoctor.sources.errors import Forbidden
from kfdoctor.sources.tape import Tape


def pod(ns, name, restarts=0, waiting=None, phase="Running", ready=True):
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {"metadata": {"namespace": ns, "name": name}, "spec": {"containers": [{"name": "main"}]},
            "status": {"phase": phase, "containerStatuses": [
                {"name": "main", "restartCount": restarts, "ready": ready, "started": True, "state": state}]}}


class FakeKube:
    def __init__(self):
        self.calls = []

    def logs(self, namespace, pod, container=None, tail_lines=50, limit_bytes=16384, previous=False):
        self.calls.append((namespace, pod, container, tail_lines, limit_bytes, previous))
        if pod == "forbidden-pod":
            raise Forbidden("forbidden: get pods/log", "get pods/log",
                            "kubectl create clusterrole kfdoctor-get-pods --verb=get --resource=pods/log")
        # a server that ignores the bounds: 5000 long lines, one with a secret
        return "".join(f"line {i} {'x' * 80} token=abcdef{i:06d}\n" for i in range(5000))


class FakeSession:
    def __init__(self, values, failing=()):
        self.values = values
        self.failing = dict(failing)
        self.registry = SimpleNamespace(fixtures={**{k: None for k in values}, **{k: None for k in self.failing}})

    def get(self, name):
        if name in self.failing:
            raise FixtureFailed(name, self.failing[name])
        return self.values[name]


def test_logs_are_bounded_and_only_failing_pods_are_read(tmp_path):
    pods = [pod("kubeflow", f"crash-{i}", restarts=i + 1, waiting="CrashLoopBackOff") for i in range(30)]
    pods += [pod("kubeflow", "healthy"), pod("other-ns", "crash-elsewhere", restarts=3, waiting="Error"),
             pod("kubeflow", "forbidden-pod", waiting="ImagePullBackOff")]
    kube = FakeKube()
    session = FakeSession({"kube": kube, "pods": pods, "settings": Settings()})
    limits = Limits(log_lines=40, log_bytes=2000, max_pods=5, max_containers=8)
    collector = _Collector(session, Redactor(), limits)
    logs = collector.logs(["kubeflow"], tmp_path)
    read_pods = {c[1] for c in kube.calls}
    assert "healthy" not in read_pods and "crash-elsewhere" not in read_pods
    assert len(read_pods) <= limits.max_pods
    assert {"crash-29", "crash-28"} <= read_pods          # the most restarted first
    assert all(c[3] == 40 and c[4] == 2000 for c in kube.calls)   # bounds asked of the server
    assert any(c[5] for c in kube.calls), "the previous container's log of a restarting pod"
    assert 0 < len(logs) <= limits.max_containers
    for log in logs:
        text = (tmp_path / log["file"]).read_text()
        assert text.count("\n") <= 40 and len(text.encode()) <= 2000
        assert "abcdef" not in text and "[REDACTED:" in text
    whats = [s["what"] for s in collector.skipped]
    assert any("more failing pods" in w for w in whats)
    assert any("budget" in s["why"] for s in collector.skipped) or len(logs) < limits.max_containers


def test_a_forbidden_log_is_skipped_with_its_grant(tmp_path):
    kube = FakeKube()
    session = FakeSession({"kube": kube, "pods": [pod("kubeflow", "forbidden-pod", waiting="ErrImagePull")],
                           "settings": Settings()})
    collector = _Collector(session, Redactor(), Limits())
    assert collector.logs(["kubeflow"], tmp_path) == []
    [skip] = collector.skipped
    assert skip["error"] == "Forbidden" and skip["grant"].startswith("kubectl create clusterrole")


def test_events_are_bounded_most_recent_first_and_forbidden_events_are_skipped():
    events = [{"metadata": {"namespace": "kubeflow" if i % 2 else "elsewhere", "name": f"e{i}"},
               "lastTimestamp": f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z", "message": f"m{i}"}
              for i in range(500)]
    collector = _Collector(FakeSession({"events": events, "settings": Settings()}), Redactor(),
                           Limits(max_events=25))
    kept, total = collector.events(["kubeflow"])
    assert len(kept) == 25 and total == 250
    assert all(e["metadata"]["namespace"] == "kubeflow" for e in kept)
    assert kept[0]["message"] == "m499"
    forbidden = Forbidden("forbidden: list events", "list events", "kubectl create clusterrole x")
    collector = _Collector(FakeSession({"settings": Settings()}, failing={"events": forbidden}),
                           Redactor(), Limits())
    assert collector.events(["kubeflow"]) is None
    assert collector.skipped[0]["grant"] == "kubectl create clusterrole x"


def test_tail_bounds_lines_and_bytes():
    text = "".join(f"{i}\n" for i in range(1000))
    assert _tail(text, 10, 10000).splitlines() == [str(i) for i in range(990, 1000)]
    assert len(_tail(text, 1000, 100).encode()) <= 100


def test_failing_containers():
    assert failing_containers(pod("a", "b")) == []
    assert failing_containers(pod("a", "b", waiting="CrashLoopBackOff"))[0][2] == "waiting: CrashLoopBackOff"
    assert failing_containers(pod("a", "b", restarts=2))[0][1] is True
    assert failing_containers(pod("a", "b", phase="Failed"))


def test_forbidden_reads_of_the_tape_are_listed_with_their_grant():
    tape = Tape("record")
    try:
        tape.read("kube", "list", {"kind": "Pod"}, lambda: (_ for _ in ()).throw(
            Forbidden("forbidden: list pods", "list pods", "kubectl create clusterrole p")))
    except Forbidden:
        pass
    skipped, absent = _tape_skips(tape)
    assert skipped == [{"what": 'kube list {"kind": "Pod"}', "why": "forbidden: list pods",
                        "error": "Forbidden", "permission": "list pods", "grant": "kubectl create clusterrole p"}]
    assert absent == []
