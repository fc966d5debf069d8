"""No pod crash-loops because inotify ran out ("too many open files")."""
from kfdoctor import Resource, Severity, check, fail, ok, skipped, warn

# domain-facts §1.1: the texts Kubeflow components print when inotify runs out.
PATTERNS = ("too many open files", "failed to create fsnotify watcher")
WATCHER_WORDS = ("inotify", "fsnotify", "watcher", "filewatcher", "file watcher")
EXCERPT = 200


def matching_line(text: str) -> str | None:
    """The first line of ``text`` that says inotify ran out, trimmed."""
    for line in text.splitlines():
        low = line.lower()
        if any(p in low for p in PATTERNS):
            return line.strip()[:EXCERPT]
    return None


@check(severity=Severity.HIGH, phase="post-launch", tags={"pods", "inotify"})
def pods_too_many_open_files(restarting_containers, restarting_logs, live_job):
    """No pod crash-loops because inotify ran out ("too many open files").

    ## Why it matters
    When a node's inotify instances run out, Kubeflow's controllers cannot start their file
    watchers and crash-loop: the profile controller
    (``Failed to start file watcher: too many open files``), KFP's API server
    (``failed to create a watcher for certificate files: inotify_init: too many open files``),
    Go programs (``failed to create fsnotify watcher: too many open files``), istio-proxy (``Failed
    to start in-process SDS ... too many open files``) (kubeflow/community-distribution#2087). The
    pods look broken one by one; the cause is the node's ``fs.inotify`` limits (see
    ``node_inotify_limits``). Raising ``ulimit -n`` does not help.

    ## Manual fix
    Raise ``fs.inotify.max_user_instances`` (>= 1280) and ``fs.inotify.max_user_watches``
    (>= 655360) on the host JARVICE nodes these pods run on (a host node admin action, see
    ``kfdoctor explain node_inotify_limits``), then restart the crash-looping pods:
    ``kubectl delete pod -n <namespace> <pod>`` (their Deployment recreates them).
    """
    found, unread, other = [], [], []
    for restart in restarting_containers:
        source, line = "termination message", matching_line(restart.message)
        if line is None and not restart.message.strip():
            log = restarting_logs.get(restart.key) or {}
            if "text" in log:
                source, line = "log", matching_line(log["text"])
            else:
                unread.append((restart, log.get("error") or "log not read"))
                continue
        (found if line else other).append((restart, source, line))
    by_pod: dict[str, list] = {}
    for restart, source, line in found:
        by_pod.setdefault(f"{restart.namespace}/{restart.pod_name}", []).append((restart, source, line))
    for items in by_pod.values():
        restart, source, line = items[0]
        names = ", ".join(r.container for r, _, _ in items)
        state = ("in CrashLoopBackOff" if any(r.crash_looping for r, _, _ in items)
                 else "restarting" if not all(r.ready for r, _, _ in items) else "recovered")
        watcher = any(w in line.lower() for w in WATCHER_WORDS)
        node_name = (restart.pod.get("spec") or {}).get("nodeName")
        node = f" ({node_name})" if node_name else ""
        evidence = {"containers": {r.container: {"restarts": r.restarts, "waiting": r.waiting_reason,
                                                 "exit_code": r.exit_code, "source": s, "line": ln}
                                   for r, s, ln in items},
                    "inotify_context": watcher, "node": node_name}
        message = (f"pod {restart.namespace}/{restart.pod_name} ({names}) is {state} after "
                   f"{max(r.restarts for r, _, _ in items)} restarts; its last {source} says "
                   f"\"{line}\"; expected no inotify exhaustion: raise the fs.inotify limits of its "
                   f"host node{node}")
        if not watcher:
            message += " (or the open-file limit, ulimit -n, if no file watcher is involved)"
        judge = warn if state == "recovered" else fail
        yield judge(restart.pod, message, evidence, cause="node_inotify_limits")
    for restart, why in unread:
        if f"{restart.namespace}/{restart.pod_name}" not in by_pod:
            yield skipped(restart.pod, f"container {restart.container} restarted {restart.restarts} "
                          f"times without a termination message, and its log could not be read: {why}")
    if not by_pod:
        checked = len({(r.namespace, r.pod_name) for r, _, _ in other})
        yield ok(Resource("Pod", "(all namespaces)"),
                 f"no crash-looping or restarting pod says \"too many open files\" ({checked} "
                 "restarting pods checked)",
                 {"restarting": sorted({f"{r.namespace}/{r.pod_name}" for r, _, _ in other})})
