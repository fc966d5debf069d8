"""The AppDef keeps the privileged sysctl-config app exactly when the nodes need it."""
from kfdoctor import Resource, Severity, check, fail, ok, skip, warn
from kfdoctor.fixtures.inotify import HOW_TO_MEASURE


def _values(reading) -> str:
    return (f"{reading.node}: max_user_instances={reading.max_user_instances}, "
            f"max_user_watches={reading.max_user_watches}")


@check(severity=Severity.MEDIUM, phase="pre-launch", tags={"appdef", "inotify"})
def appdef_sysctl_config_consistent(appdef, inotify_state):
    """The AppDef keeps the privileged sysctl-config app exactly when the nodes need it.

    ## Why it matters
    The Kubeflow AppDef deploys a ``sysctl-config`` app (a template of its ``nestedkubernetes``
    object): a DaemonSet whose **privileged** containers raise ``fs.inotify.max_user_instances`` /
    ``max_user_watches`` to 1280 / 655360 on every node (admin guide ch. 2). Kept while the host
    admin has already set the values, it runs privileged containers for nothing; dropped while the
    nodes still have the kernel defaults (128 instances), Kubeflow's controllers crash-loop with
    "too many open files".

    ## Manual fix
    - Nodes already have the values (the system administrator set them in ``/etc/sysctl.conf`` or
      ``/etc/sysctl.d/``): opt out as the admin guide's section 2.1 explains, i.e. remove the whole
      ``{"name": "sysctl-config", "type": "kustomize", "path":
      "manifests/components/apps/sysctl-config"}`` object from the ``templates`` list of the
      ``nestedkubernetes`` (or ``nested_kubernetes``) object, and nothing else. The guide's printed
      "to this" example is garbled (it empties the nswatcher entry and leaves stray commas: not
      valid JSON), so do not copy it; ``kfdoctor check jarvice_appdef_valid`` validates the result.
    - Nodes lack the values: either ask the host JARVICE node admin to set them on every host node
      (``fs.inotify.max_user_instances = 1280`` and ``fs.inotify.max_user_watches = 655360`` in
      ``/etc/sysctl.d/99-kubeflow-inotify.conf``, then ``sysctl --system``), or put the
      sysctl-config template back in the AppDef.
    """
    state = inotify_state
    resource = Resource("AppDef", appdef.name)
    if not appdef.is_kns:
        skip(f"the AppDef {appdef.name} has no nestedkubernetes (or nested_kubernetes) object; "
             "jarvice_appdef_valid reports it")
    template = appdef.sysctl_config
    thresholds = state.thresholds()
    evidence = {"sysctl_config_template": template.raw if template else None,
                "templates": appdef.components, "expected_at_least": thresholds,
                "measured": {r.node: {**r.values(), "source": r.source} for r in state.measured},
                "not_measured": state.unmeasured,
                "daemonset": state.daemonset.name if state.daemonset else None}
    lacking = state.lacking
    if template is not None:
        if state.every_node_sufficient and state.daemonset is not None:
            # After launch the DaemonSet itself sets the values: measuring cannot tell whether the
            # hosts keep them without it, so this is no reason to opt out.
            yield ok(resource, f"the AppDef keeps the sysctl-config app and all {len(state.nodes)} "
                     f"nodes have the values, which its DaemonSet {state.daemonset.name} sets; opt "
                     "out only if the hosts keep them without it (check /etc/sysctl.d on the "
                     "hosts before launch)", evidence)
        elif state.every_node_sufficient:
            yield warn(resource, f"the AppDef keeps the privileged sysctl-config app (template "
                       f"{template.path}) while all {len(state.nodes)} nodes already have "
                       f"max_user_instances >= {thresholds['max_user_instances']} and max_user_watches >= "
                       f"{thresholds['max_user_watches']}; expected it dropped (opt out, admin guide "
                       "section 2.1)", evidence)
        elif lacking:
            yield ok(resource, f"the AppDef keeps the sysctl-config app, which {len(lacking)} nodes "
                     f"need ({'; '.join(_values(r) for r in lacking)})", evidence)
        else:
            skip("cannot tell whether the nodes need the sysctl-config app the AppDef keeps: "
                 f"{len(state.unmeasured)} of {len(state.nodes)} nodes not measured; to measure, "
                 f"{HOW_TO_MEASURE}")
        return
    if lacking:
        yield fail(resource, f"the AppDef drops the sysctl-config app while {len(lacking)} nodes lack "
                   f"the values ({'; '.join(_values(r) for r in lacking)}; expected at least "
                   f"{thresholds['max_user_instances']}/{thresholds['max_user_watches']}): keep the app "
                   "or have the host admin set the values", evidence)
    elif state.every_node_sufficient:
        yield ok(resource, f"the AppDef drops the sysctl-config app and all {len(state.nodes)} nodes "
                 f"already have at least {thresholds['max_user_instances']}/"
                 f"{thresholds['max_user_watches']}", evidence)
    elif state.daemonset is not None and state.daemonset_sets_enough() \
            and state.daemonset.ready >= len(state.nodes):
        yield ok(resource, f"the AppDef drops the sysctl-config app; not measured, but "
                 f"{state.daemonset_phrase()}", evidence)
    else:
        skip("cannot tell whether the AppDef may drop the sysctl-config app: "
             f"{len(state.unmeasured)} of {len(state.nodes)} nodes not measured; to measure, "
             f"{HOW_TO_MEASURE}")
