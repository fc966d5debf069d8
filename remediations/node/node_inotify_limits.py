"""Raise the nodes' fs.inotify limits: the sysctl-config DaemonSet, or host commands."""
from kfdoctor import KubeRead, remediation
from kfdoctor.appdef import SYSCTL_CONFIG
from kfdoctor.fixing import KubeAwaitRollout, KubeCreate, Plan, PrintOnly
from kfdoctor.fixtures.inotify import KEYS

NAMESPACE = "kube-system"
CONF = "/etc/sysctl.d/99-kubeflow-inotify.conf"
LABELS = {"app": SYSCTL_CONFIG}
VCLUSTER = ("inside a KNS vcluster the DaemonSet's pods may not reach the host node's sysctls, "
            "which belong to the host kernel and are shared by every KNS job on it: the host "
            "commands (kfdoctor fix node_inotify_limits --print-host-commands) are the sure fix; "
            "measure with kfdoctor check node_inotify_limits --node-probe")


def daemonset(thresholds: dict, image: str) -> dict:
    """The admin guide's sysctl-config (ch. 2): privileged, on every node (every taint tolerated),
    raising each limit to at least the threshold (a higher value is kept)."""
    script = "\n".join(
        [f'[ "$(cat /proc/sys/fs/inotify/{key})" -ge {value} ] || '
         f"sysctl -w fs.inotify.{key}={value}" for key, value in thresholds.items()]
        + ["sysctl " + " ".join(f"fs.inotify.{key}" for key in thresholds)])
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": SYSCTL_CONFIG, "namespace": NAMESPACE,
                     "labels": {**LABELS, "app.kubernetes.io/managed-by": "kfdoctor"},
                     "annotations": {"kfdoctor.io/purpose": "raise fs.inotify.max_user_instances/"
                                     "max_user_watches to at least "
                                     + "/".join(str(v) for v in thresholds.values())
                                     + " on every node (admin guide ch. 2, sysctl-config)"}},
        "spec": {
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {
                    "tolerations": [{"operator": "Exists"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "initContainers": [{
                        "name": "sysctl", "image": image, "command": ["sh", "-c", script],
                        "securityContext": {"privileged": True}}],
                    "containers": [{
                        "name": "sleep", "image": image,
                        "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"],
                        "resources": {"requests": {"cpu": "1m", "memory": "4Mi"}}}]}}}}


def host_commands(targets: list, thresholds: dict) -> str:
    """For each (host, current values or None): the sysctl -w commands for the values it lacks,
    the sysctl.d file (each value at least the threshold, a higher one kept) and sysctl --system."""
    blocks = []
    for host, current in targets:
        current = current or {}
        wanted = {key: max(thresholds[key], current.get(key) or 0) for key in KEYS}
        now = ", ".join(f"{key}={current[key]}" for key in KEYS if current.get(key) is not None)
        lines = [f"# on host node {host}{f' (now {now})' if now else ''}, as root:"]
        lines += [f"sysctl -w fs.inotify.{key}={wanted[key]}" for key in KEYS
                  if current.get(key) is None or current[key] < thresholds[key]]
        lines += [f"cat > {CONF} <<'EOF'"] + [f"fs.inotify.{key} = {wanted[key]}" for key in KEYS]
        lines += ["EOF", "sysctl --system"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@remediation("node_inotify_limits", risk="disruptive",
             writes=[KubeRead(v, "apps", "daemonsets") for v in ("get", "create", "delete")])
def raise_inotify_limits(finding, inotify_state, settings, fix_options):
    """Apply the sysctl-config DaemonSet, or print the host commands (--print-host-commands).

    Creates DaemonSet kube-system/sysctl-config as the admin guide's sysctl-config app does (ch. 2):
    a privileged init container on every node (it tolerates every taint) raises
    ``fs.inotify.max_user_instances`` / ``max_user_watches`` to at least the thresholds
    (``inotify_min_instances`` / ``inotify_min_watches``), keeping higher values; an unprivileged
    container then sleeps. The fix waits (at most two minutes) until the DaemonSet has rolled out
    on every node, so the re-check measures its effect. Undo deletes the DaemonSet only if it is still the one created (the
    values it raised stay until the node reboots). Inside a KNS vcluster its pods may not reach the
    host's sysctls: the plan also shows the host commands. With ``--print-host-commands``, or when a
    sysctl-config DaemonSet already runs, the plan is manual: for each host node lacking the values,
    ``sysctl -w`` now and ``/etc/sysctl.d/99-kubeflow-inotify.conf`` + ``sysctl --system`` to keep
    them.
    """
    state = inotify_state
    thresholds = state.thresholds()
    lacking = state.lacking
    mine = [r for r in lacking if r.node == finding.resource.name
            and finding.resource.kind in ("Node", "Host")]
    readings = mine or lacking
    targets = [(r.node, r.values()) for r in readings] or [
        (name, None) for name in state.nodes or ["<each host node>"]]
    commands = host_commands(targets, thresholds)
    where = ", ".join(host for host, _ in targets)
    wanted = f"{thresholds['max_user_instances']}/{thresholds['max_user_watches']}"
    if fix_options.print_host_commands:
        return Plan.manual_only(f"run the sysctl commands on host node(s) {where} (at least "
                                f"{wanted} max_user_instances/max_user_watches)", commands)
    ds = state.daemonset
    if ds is not None:
        enough = state.daemonset_sets_enough()
        if enough is False:
            return Plan.manual_only(
                f"the sysctl-config DaemonSet {ds.name} sets values below {wanted}: raise them "
                f"in its pod spec, or run the host commands", commands)
        return Plan.manual_only(
            f"{state.daemonset_phrase()}, yet {where} lacks the values: wait until it is ready "
            "on every node and measure again (--node-probe); if they stay low, its pods do not "
            "reach the host (a KNS vcluster): run the host commands", commands)
    body = daemonset(thresholds, settings.node_probe_image)
    alternative = ("Inside a KNS vcluster the DaemonSet's pods may not reach the host node's "
                   "sysctls; the sure fix is to run, on each host node:\n\n" + commands)
    return Plan(f"create the privileged sysctl-config DaemonSet {NAMESPACE}/{SYSCTL_CONFIG}: "
                f"fs.inotify limits at least {wanted} on every node",
                [KubeCreate(body), KubeAwaitRollout("DaemonSet", NAMESPACE, SYSCTL_CONFIG),
                 PrintOnly(alternative)], note=VCLUSTER)
