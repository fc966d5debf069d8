"""Make one StorageClass the only cluster default."""
from kfdoctor import KubeRead, remediation
from kfdoctor.fixing import KubePatch, Plan

from kfdoctor.checks.storage.storage_default_class_unique import DEFAULT_ANNOTATIONS, is_default

ANNOTATION = DEFAULT_ANNOTATIONS[0]


@remediation("storage_default_class_unique", risk="medium",
             writes=[KubeRead("get", "storage.k8s.io", "storageclasses", namespaced=False),
                     KubeRead("patch", "storage.k8s.io", "storageclasses", namespaced=False)])
def make_one_default_class(finding, storage_classes, fix_options):
    """Make the StorageClass named by --default-class the only default.

    Sets ``storageclass.kubernetes.io/is-default-class: "true"`` on that class and ``"false"``
    on every other class marked default (both the GA and the beta annotation), each as a merge
    patch guarded by the class's resourceVersion. Without --default-class the plan is manual: it
    lists the classes to choose from. Nothing is deleted; undo restores the annotations.
    """
    names = sorted(sc["metadata"]["name"] for sc in storage_classes)
    wanted = fix_options.default_class
    if not wanted:
        defaults = sorted(sc["metadata"]["name"] for sc in storage_classes if is_default(sc))
        return Plan.manual_only(
            "choose the default StorageClass with --default-class NAME",
            f"classes: {', '.join(names) or '(none)'}; defaults now: "
            f"{', '.join(defaults) or '(none)'}\nrerun: kfdoctor fix storage_default_class_unique "
            "--default-class NAME")
    if wanted not in names:
        return Plan.manual_only(f"--default-class {wanted}: no such StorageClass",
                                f"choose one of: {', '.join(names) or '(none)'}")
    actions = []
    for sc in sorted(storage_classes, key=lambda s: s["metadata"]["name"]):
        annotations = sc["metadata"].get("annotations") or {}
        values = {}
        if sc["metadata"]["name"] == wanted:
            if annotations.get(ANNOTATION) != "true":
                values[("metadata", "annotations", ANNOTATION)] = "true"
            for key in DEFAULT_ANNOTATIONS[1:]:
                if key in annotations and annotations[key] != "true":
                    values[("metadata", "annotations", key)] = "true"
        else:
            for key in DEFAULT_ANNOTATIONS:
                if annotations.get(key) == "true":
                    values[("metadata", "annotations", key)] = "false"
        if values:
            actions.append(KubePatch.of(sc, values, kind="StorageClass"))
    others = [a.name for a in actions if a.name != wanted]
    summary = f"make StorageClass {wanted} the only default" + (
        f" (unmark {', '.join(others)})" if others else "")
    return Plan(summary, actions)
