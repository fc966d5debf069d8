"""Every node allows enough inotify instances and watches for Kubeflow."""
from kfdoctor import Resource, Severity, check, fail, ok, skip, skipped, warn
from kfdoctor.fixtures.inotify import HOW_TO_MEASURE

REMEDIATION = ("a host JARVICE node admin action: the limit is the host node's, shared by every KNS "
               "job on it, and cannot be raised from inside the job's nested cluster")


def _node(reading) -> Resource:
    return Resource("Node" if reading.in_cluster else "Host", reading.node)


@check(severity=Severity.HIGH, phase=("pre-launch", "post-launch"), tags={"node", "inotify"})
def node_inotify_limits(inotify_state):
    """Every node allows enough inotify instances and watches for Kubeflow.

    ## Why it matters
    Kubeflow's controllers watch files with inotify. When a node's ``fs.inotify.max_user_instances``
    (kernel default 128, shared by every root process on the node: kubelet, containerd shims,
    controllers) or ``fs.inotify.max_user_watches`` runs out, pods crash-loop with "too many open
    files" (the profile controller: ``Failed to start file watcher: too many open files``; KFP:
    ``inotify_init: too many open files``; Go programs: ``failed to create fsnotify watcher``).
    inotify limits are not namespaced: with JARVICE KNS the limit that bites is the **host**
    JARVICE node's, shared by every KNS job scheduled there.

    The thresholds are the admin guide's (ch. 2): 1280 instances and 655360 watches
    (``--config``: ``inotify_min_instances`` / ``inotify_min_watches``); the Kubeflow manifests'
    README uses 2280 / 1255360 for kind clusters.

    ## Manual fix
    This is a host JARVICE node admin action (it cannot be done from the job's GoTTY shell). On each
    host node, as root::

        cat > /etc/sysctl.d/99-kubeflow-inotify.conf <<EOF
        fs.inotify.max_user_instances = 1280
        fs.inotify.max_user_watches = 655360
        EOF
        sysctl --system

    (the admin guide edits ``/etc/sysctl.conf`` instead, which works the same). Alternatively keep
    the AppDef's privileged ``sysctl-config`` app, a DaemonSet that sets the values on every node;
    whether its pods reach the host node's sysctls from inside a KNS nested cluster is not confirmed,
    so measure afterwards: ``kfdoctor check node_inotify_limits --node-probe``. Restart the pods that
    crash-looped (``kubectl delete pod ...``) once the values are raised.
    """
    state = inotify_state
    thresholds = state.thresholds()
    if state.readings:
        for reading in state.measured:
            evidence = {**reading.values(), "expected_at_least": thresholds, "source": reading.source,
                        "remediation": REMEDIATION}
            low = [f"{key}={value} (expected >= {thresholds[key]})"
                   for key, value in reading.values().items() if value < thresholds[key]]
            where = f"node {reading.node}" if reading.in_cluster else f"host {reading.node}"
            if low:
                yield fail(_node(reading), f"{where} has {' and '.join(low)}; pods on it can "
                           "crash-loop with 'too many open files'", evidence)
            else:
                yield ok(_node(reading), f"{where} has max_user_instances="
                         f"{reading.max_user_instances} and max_user_watches={reading.max_user_watches}"
                         f" (at least {thresholds['max_user_instances']}/"
                         f"{thresholds['max_user_watches']})", evidence)
        for name, why in state.unmeasured.items():
            yield skipped(Resource("Node", name), why, {"how_to_measure": "--node-probe or --host-root /"})
        for name, reading in sorted(state.readings.items()):
            if not reading.measured and name not in state.nodes:
                yield skipped(_node(reading), reading.error or "not measured")
        if state.probe_leftovers:
            yield warn(Resource("Namespace", state.probe_namespace or "?"),
                       f"{len(state.probe_leftovers)} node-probe pods could not be deleted "
                       f"({', '.join(state.probe_leftovers)}); expected none left: kubectl delete pod "
                       f"-n {state.probe_namespace} -l app.kubernetes.io/name=kfdoctor-node-probe",
                       {"pods": state.probe_leftovers})
        return
    if state.daemonset is not None:
        ds = state.daemonset
        total = len(state.nodes) or ds.desired
        evidence = {"daemonset": ds.name, "sets": ds.sets, "ready": ds.ready, "nodes": total,
                    "desired": ds.desired, "found_by": ds.found_by, "privileged": ds.privileged,
                    "expected_at_least": thresholds, "measured": False,
                    "how_to_measure": "--node-probe or --host-root /", "remediation": REMEDIATION}
        phrase = f"not measured: {state.daemonset_phrase()}"
        enough = state.daemonset_sets_enough()
        if enough is False:
            yield fail(ds.obj, f"{phrase}; expected values of at least {thresholds['max_user_instances']}"
                       f"/{thresholds['max_user_watches']}", evidence)
        elif ds.ready < total:
            yield warn(ds.obj, f"{phrase}; expected ready on every node (the others may keep the "
                       "kernel defaults)", evidence)
        elif enough is None:
            yield warn(ds.obj, f"{phrase}; pass --node-probe to measure the values", evidence)
        else:
            yield ok(ds.obj, f"{phrase} (pass --node-probe to measure)", evidence)
        return
    if state.appdef is not None and state.appdef.keeps_sysctl_config:
        skip("not measured: no sysctl-config DaemonSet runs yet, and the AppDef keeps the "
             f"sysctl-config app (template {state.appdef.sysctl_config.path}), which sets the values "
             f"when the job launches; to measure now, {HOW_TO_MEASURE}")
    skip(f"not measured: no host /proc/sys, no node probe and no sysctl-config DaemonSet; to "
         f"measure, {HOW_TO_MEASURE}")

