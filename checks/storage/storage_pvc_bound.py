"""Every PersistentVolumeClaim of the profile namespaces and kubeflow is Bound."""
from __future__ import annotations

import re

from kfdoctor import Severity, check, fail, ok, skip
from kfdoctor.fixtures.storage import NFS_DRIVER, claim_class, served_modes

PROVISIONER_ANNOTATIONS = ("volume.kubernetes.io/storage-provisioner",
                           "volume.beta.kubernetes.io/storage-provisioner")
# Event texts of domain-facts §3.1 (persistentvolume-controller and csi-driver-nfs).
EXTERNAL_PROVISIONER = re.compile(r"external provisioner ['\"]([^'\"]+)['\"]")
NO_CLASS_TEXT = "no storage class is set"
CLASS_NOT_FOUND = re.compile(r'storageclass\.storage\.k8s\.io "([^"]+)" not found')
# What a ProvisioningFailed message from csi-driver-nfs means (and whose check it is), first wins.
NFS_HINTS = (
    ("access denied by server", "the NFS server refuses the export to this node (check its "
     "/etc/exports for the node's address)", None),
    ("No such file or directory", "the share path does not exist on the NFS server", None),
    ("rpc.statd is not running", "NFSv3 locking needs rpc.statd: add mountOptions nolock or use "
     "nfsvers=4.1", None),
    ("Cannot allocate memory", "the NFS mount failed with 'Cannot allocate memory' on the node",
     None),
    ("failed to make subdirectory", "the provisioner could not create the claim's directory on "
     "the share (permissions or I/O error)", None),
    ("invalid parameter", "the StorageClass carries a parameter csi-driver-nfs rejects",
     "storage_vault_class_present"),
    ("invalid mountPermissions", "the StorageClass's mountPermissions is not an octal number",
     "storage_vault_class_present"),
    ("connection timed out", "the NFS server does not answer (network or firewall)", None),
)


def _first_line(text: str, limit: int = 400) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "..."


def _essence(message: str, limit: int = 240) -> str:
    """The telling part of a provisioner error: the mount's ``Output:`` line, else the message."""
    output = re.search(r"Output:\s*(.+)", message or "")
    return _first_line(output.group(1) if output else message, limit)


def _event_summary(event: dict) -> dict:
    return {"type": event.get("type"), "reason": event.get("reason"), "count": event.get("count"),
            "message": _first_line(event.get("message") or "", 1000),
            "source": (event.get("source") or {}).get("component") or event.get("reportingComponent"),
            "lastTimestamp": event.get("lastTimestamp") or event.get("eventTime")}


def _provisioner(claim: dict, cls_provisioner: str | None, events: list[dict]) -> str | None:
    annotations = claim["metadata"].get("annotations") or {}
    for key in PROVISIONER_ANNOTATIONS:
        if annotations.get(key):
            return annotations[key]
    for event in events:
        match = EXTERNAL_PROVISIONER.search(event.get("message") or "")
        if match:
            return match.group(1)
    return cls_provisioner


def diagnose(claim: dict, events: list[dict], storage_classes: list[dict], default: dict | None,
             pvs: dict[str, dict], vault: str | None) -> tuple[str, str | None, dict]:
    """Why ``claim`` is not Bound: (sentence, cause check id or None, extra evidence)."""
    spec = claim.get("spec") or {}
    cls = claim_class(claim, storage_classes, default)
    modes = list(spec.get("accessModes") or [])
    warnings = [e for e in events if e.get("type") == "Warning"]
    reasons = {e.get("reason") for e in events}
    extra: dict = {"storageClass": cls.name, "class_from": cls.how, "accessModes": modes}

    # 1. The claim names a class that does not exist.
    if cls.how == "named" and cls.obj is None:
        nfs_classes = [sc for sc in storage_classes if sc.get("provisioner") == NFS_DRIVER]
        is_vault = cls.name == vault or not nfs_classes
        return (f"its StorageClass {cls.name} does not exist",
                "storage_vault_class_present" if is_vault else None, extra)
    # 2. No class and no default class.
    if cls.how == "default" and cls.obj is None:
        return ("it names no StorageClass and the cluster has no default class "
                f"(event: \"{NO_CLASS_TEXT}\")" if any(NO_CLASS_TEXT in (e.get("message") or "")
                                                       for e in events)
                else "it names no StorageClass and the cluster has no default class",
                "storage_default_class_unique", extra)
    # 3. Access modes the class cannot serve.
    served = served_modes(cls.provisioner)
    bad = sorted(m for m in modes if served is not None and m not in served)
    if bad:
        extra["served_modes"] = sorted(served)
        return (f"it asks for {', '.join(bad)}, which class {cls.name} ({cls.provisioner}) cannot "
                "serve", "storage_pvc_access_mode_supported", extra)
    # 4. A named volume already claimed by another claim.
    volume = spec.get("volumeName")
    if volume:
        pv = pvs.get(volume)
        if pv is None:
            return f"it names PersistentVolume {volume}, which does not exist", None, extra
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        mine = (claim["metadata"].get("namespace"), claim["metadata"]["name"])
        if ref and (ref.get("namespace"), ref.get("name")) != mine:
            extra["pv_claimRef"] = f"{ref.get('namespace')}/{ref.get('name')}"
            return (f"its PersistentVolume {volume} is already claimed by "
                    f"{ref.get('namespace')}/{ref.get('name')} (one PV binds one claim)", None, extra)
    # 5. The provisioner tried and failed: its newest ProvisioningFailed message.
    failed = [e for e in warnings if e.get("reason") == "ProvisioningFailed"]
    if failed:
        message = failed[-1].get("message") or ""
        missing = CLASS_NOT_FOUND.search(message)
        if missing:
            return f"provisioning failed: StorageClass {missing.group(1)} not found", \
                "storage_vault_class_present" if missing.group(1) == vault else None, extra
        hint, cause = next(((h, c) for needle, h, c in NFS_HINTS if needle in message), (None, None))
        text = f"provisioning failed: {_essence(message)}"
        return (f"{text} ({hint})" if hint else text), cause, extra
    # 6. FailedBinding from the persistentvolume-controller.
    binding = [e for e in events if e.get("reason") == "FailedBinding"]
    if binding:
        return f"binding failed: {_first_line(binding[-1].get('message') or '', 240)}", None, extra
    # 7. ExternalProvisioning repeating alone: the provisioner is not running or not registered.
    if "ExternalProvisioning" in reasons and not reasons & {"Provisioning", "ProvisioningSucceeded"}:
        provisioner = _provisioner(claim, cls.provisioner, events)
        count = sum(e.get("count") or 1 for e in events if e.get("reason") == "ExternalProvisioning")
        extra["provisioner"] = provisioner
        return (f"only ExternalProvisioning events ({count}x): the external provisioner "
                f"{provisioner} is not running or not registered",
                "storage_csi_nfs_driver_ready" if provisioner == NFS_DRIVER else None, extra)
    # 8. Waiting for a first consumer (volumeBindingMode WaitForFirstConsumer): normal.
    if "WaitForFirstConsumer" in reasons or (
            cls.obj is not None and cls.obj.get("volumeBindingMode") == "WaitForFirstConsumer"
            and not warnings):
        return "WAIT", None, extra
    return "no event explains why (events may have expired after 1 h)", None, extra


@check(severity=Severity.HIGH, phase="post-launch", tags={"storage", "pvc"})
def storage_pvc_bound(profile_pvcs, pvs, events_by_object, storage_classes, default_storage_class,
                      settings):
    """Every PersistentVolumeClaim of the profile namespaces and kubeflow is Bound.

    ## Why it matters
    A claim that is not Bound keeps its notebook, pipeline step or KServe model Pending; a Lost
    claim has lost its PersistentVolume and its pods cannot start. The cause is in the claim's
    events (domain-facts §3.1): only ExternalProvisioning events mean the provisioner is not
    running; ProvisioningFailed carries the NFS mount error; FailedBinding "no storage class is
    set" means there is no default class.

    ## Manual fix
    ``kubectl -n <namespace> describe pvc <name>`` shows the events. Then fix the cause this
    finding names (the linked check has its own fix): install or repair csi-driver-nfs, create the
    vault class, mark a default class, or recreate the claim with access modes its class serves.
    For an NFS "access denied by server", export the share to the nodes' addresses on the NFS
    server. A Lost claim must be recreated (and its data restored from the share: vault classes
    use reclaimPolicy Retain, so the directory is still there).
    """
    if not profile_pvcs:
        skip("no PersistentVolumeClaim in the profile namespaces or kubeflow")
    by_name = {pv["metadata"]["name"]: pv for pv in pvs}
    for claim in profile_pvcs:
        meta = claim["metadata"]
        ref = f"{meta['namespace']}/{meta['name']}"
        phase = (claim.get("status") or {}).get("phase") or "Pending"
        events = events_by_object.get(("PersistentVolumeClaim", meta["namespace"], meta["name"]), [])
        evidence = {"phase": phase, "volumeName": (claim.get("spec") or {}).get("volumeName"),
                    "events": [_event_summary(e) for e in events[-5:]]}
        if phase == "Bound":
            yield ok(claim, f"claim {ref} is Bound to {evidence['volumeName']}", evidence)
            continue
        if phase == "Lost":
            volume = evidence["volumeName"]
            gone = volume not in by_name
            yield fail(claim, f"claim {ref} is Lost, expected Bound: its PersistentVolume {volume} "
                       + ("no longer exists" if gone else "is no longer bound to it"), evidence)
            continue
        why, cause, extra = diagnose(claim, events, storage_classes, default_storage_class, by_name,
                                     settings.vault)
        evidence.update(extra)
        if why == "WAIT":
            yield ok(claim, f"claim {ref} is Pending until a pod uses it (volumeBindingMode "
                     "WaitForFirstConsumer); nothing is wrong", evidence)
        else:
            yield fail(claim, f"claim {ref} is {phase}, expected Bound: {why}", evidence, cause=cause)
