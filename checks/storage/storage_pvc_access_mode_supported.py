"""Each claim asks for access modes its StorageClass can serve."""
from kfdoctor import Severity, check, fail, ok, skip, skipped, warn
from kfdoctor.fixtures.storage import claim_class, mode_source, served_modes


def unsupported_modes(claim: dict, storage_classes: list[dict], default: dict | None):
    """(class, requested modes, served modes or None, the modes it cannot serve)."""
    cls = claim_class(claim, storage_classes, default)
    requested = list((claim.get("spec") or {}).get("accessModes") or [])
    served = served_modes(cls.provisioner)
    bad = sorted(m for m in requested if served is not None and m not in served)
    return cls, requested, served, bad


@check(severity=Severity.HIGH, phase="post-launch", tags={"storage", "pvc"})
def storage_pvc_access_mode_supported(profile_pvcs, storage_classes, default_storage_class):
    """Each claim asks for access modes its StorageClass can serve.

    ## Why it matters
    A claim whose access modes its class cannot serve never binds: e.g. ``ReadWriteMany`` on
    ``local-path`` fails with "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+)
    access modes", and on GKE's ``standard-rwo`` class the modes "are restricted to ReadWriteOnce"
    (admin guide 7.2). The notebook or pipeline step using it stays Pending.

    ## Manual fix
    Access modes cannot be changed on an existing claim. Recreate it (after saving any data) on a
    class that serves the mode: the vault class (``nfs.csi.k8s.io``) or ``standard-rwx``
    (Filestore) for ``ReadWriteMany``/``ReadOnlyMany``, or ask for ``ReadWriteOnce`` on
    ``local-path``/``standard-rwo``. In the Kubeflow dashboard: Volumes > New Volume, choose the
    Storage Class and Access Mode together.
    """
    if not profile_pvcs:
        skip("no PersistentVolumeClaim in the profile namespaces or kubeflow")
    for claim in profile_pvcs:
        meta = claim["metadata"]
        ref = f"{meta['namespace']}/{meta['name']}"
        cls, requested, served, bad = unsupported_modes(claim, storage_classes, default_storage_class)
        phase = (claim.get("status") or {}).get("phase")
        evidence = {"accessModes": requested, "storageClass": cls.name, "class_from": cls.how,
                    "provisioner": cls.provisioner, "phase": phase,
                    "served_modes": sorted(served) if served is not None else None,
                    "source": mode_source(cls.provisioner)}
        if cls.obj is None:
            why = ("it binds to pre-created PersistentVolumes only (storageClassName \"\")"
                   if cls.how == "none" else
                   f"its StorageClass {cls.name} does not exist" if cls.name else
                   "it has no StorageClass and there is no default class")
            yield skipped(claim, f"claim {ref}: cannot judge its access modes: {why}", evidence)
        elif served is None:
            yield skipped(claim, f"claim {ref}: kfdoctor does not know which access modes provisioner "
                          f"{cls.provisioner} (class {cls.name}) serves", evidence)
        elif bad and phase == "Bound":
            yield warn(claim, f"claim {ref} is Bound with {', '.join(bad)}, which class {cls.name} "
                       f"({cls.provisioner}) does not serve (it serves {', '.join(sorted(served))}); "
                       "a pre-created volume may not really share across nodes", evidence)
        elif bad:
            yield fail(claim, f"claim {ref} asks for {', '.join(bad)} on class {cls.name} "
                       f"({cls.provisioner}), which serves only {', '.join(sorted(served))}; it "
                       "cannot bind", evidence)
        else:
            yield ok(claim, f"claim {ref} asks for {', '.join(requested) or 'no mode'}, served by "
                     f"class {cls.name} ({cls.provisioner})", evidence)
