"""Exactly one StorageClass is the cluster default."""
from kfdoctor import Resource, Severity, check, fail, ok, warn

DEFAULT_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                       "storageclass.beta.kubernetes.io/is-default-class")


def is_default(storage_class: dict) -> bool:
    annotations = (storage_class.get("metadata") or {}).get("annotations") or {}
    return any(annotations.get(key) == "true" for key in DEFAULT_ANNOTATIONS)


@check(severity=Severity.HIGH, phase="pre-launch", tags={"storage"})
def storage_default_class_unique(storage_classes):
    """Exactly one StorageClass is the cluster default.

    ## Why it matters
    A PersistentVolumeClaim without ``storageClassName`` (Kubeflow's notebooks, pipelines and
    KServe volumes) uses the default class. With none, such claims stay Pending for ever
    ("no persistent volumes available for this claim and no storage class is set"); with several,
    Kubernetes picks the newest one, which may not be the one the admin meant.

    ## Manual fix
    Mark one class default and remove the annotation from the others:
    ``kubectl patch storageclass <name> -p '{"metadata":{"annotations":
    {"storageclass.kubernetes.io/is-default-class":"true"}}}'`` and ``"false"`` on the others.
    JARVICE propagates its default class (``JARVICE_KNS_DEFAULT_STORAGE_CLASS``) into each job.
    """
    defaults = sorted(sc["metadata"]["name"] for sc in storage_classes if is_default(sc))
    evidence = {"default_classes": defaults,
                "classes": sorted(sc["metadata"]["name"] for sc in storage_classes)}
    cluster = Resource("StorageClass", "(default)")
    if not defaults:
        yield fail(cluster, f"no default StorageClass among {len(storage_classes)} classes; "
                   "expected exactly one: claims without a class stay Pending", evidence)
    elif len(defaults) > 1:
        yield warn(cluster, f"{len(defaults)} default StorageClasses ({', '.join(defaults)}); "
                   "expected exactly one", evidence)
    else:
        yield ok(cluster, f"StorageClass {defaults[0]} is the only default", evidence)
