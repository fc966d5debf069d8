"""The vault StorageClass exists on nfs.csi.k8s.io with server, share and reclaimPolicy Retain."""
from kfdoctor import Resource, Severity, check, fail, ok, warn
from kfdoctor.fixtures.storage import NFS_DRIVER

REQUIRED_PARAMETERS = ("server", "share")
# Keys csi-driver-nfs accepts (case-insensitive, pkg/nfs/controllerserver.go CreateVolume); others
# fail provisioning with 'invalid parameter "<key>" in storage class'. csi.storage.k8s.io/* keys
# (secrets, pvc/pv names) are handled by the external provisioner.
KNOWN_PARAMETERS = {"server", "share", "subdir", "ondelete", "mountpermissions"}


def vault_classes(storage_classes: list[dict], vault: str | None) -> tuple[list[tuple[dict, str]], str]:
    """The classes to judge, each with how it was found, and a description of the search."""
    if vault:
        exact = [sc for sc in storage_classes if sc["metadata"]["name"] == vault]
        if exact:
            return [(exact[0], f"named {vault} (--vault)")], f"--vault {vault}"
        # jarvice-helm names vault classes <jobuser>-<vaultname> (domain-facts §2, §12)
        suffixed = [sc for sc in storage_classes if sc["metadata"]["name"].endswith(f"-{vault}")]
        return ([(sc, f"named <jobuser>-{vault} (jarvice-helm naming of --vault {vault})")
                 for sc in suffixed], f"--vault {vault}")
    return ([(sc, f"provisioner {NFS_DRIVER}") for sc in storage_classes
             if sc.get("provisioner") == NFS_DRIVER], f"classes with provisioner {NFS_DRIVER}")


@check(severity=Severity.HIGH, phase="pre-launch", tags={"storage", "vault", "nfs"})
def storage_vault_class_present(storage_classes, settings):
    """The vault StorageClass exists on nfs.csi.k8s.io with server, share and reclaimPolicy Retain.

    ## Why it matters
    Users reach their JARVICE vault's data through claims on the vault StorageClass (admin guide
    ch. 7: ``kubectl get storageclass`` must list ``<my_vault_name>  nfs.csi.k8s.io  Retain``).
    Without it, or without the NFS ``server``/``share`` parameters, vault claims never bind.
    With ``reclaimPolicy: Delete``, deleting a claim deletes its directory on the NFS share.

    ## Manual fix
    Create the vault in JARVICE (Account > Vaults, admin role) before launching the application,
    and make sure csi-driver-nfs is installed. A StorageClass cannot be edited in place: to change
    its reclaimPolicy or parameters, ``kubectl get sc <name> -o yaml > sc.yaml``, edit it
    (``reclaimPolicy: Retain``, ``parameters: {server: <ip>, share: /<path>}``), then
    ``kubectl delete sc <name> && kubectl apply -f sc.yaml``; existing PVs keep their own
    ``persistentVolumeReclaimPolicy`` (``kubectl patch pv <pv> -p
    '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'``).
    """
    found, searched = vault_classes(storage_classes, settings.vault)
    classes = sorted(f"{sc['metadata']['name']} ({sc.get('provisioner')})" for sc in storage_classes)
    if not found:
        name = settings.vault or "(vault)"
        expected = (f"StorageClass {settings.vault}" if settings.vault
                    else f"a StorageClass with provisioner {NFS_DRIVER}")
        yield fail(Resource("StorageClass", name),
                   f"no vault StorageClass found ({searched}); expected {expected}: create the "
                   "vault in JARVICE before launching Kubeflow", {"classes": classes})
        return
    for sc, found_by in found:
        provisioner = sc.get("provisioner")
        parameters = sc.get("parameters") or {}
        lowered = {k.lower(): v for k, v in parameters.items()}
        reclaim = sc.get("reclaimPolicy") or "Delete"      # the API default when unset
        evidence = {"found_by": found_by, "provisioner": provisioner, "parameters": parameters,
                    "reclaimPolicy": reclaim, "volumeBindingMode": sc.get("volumeBindingMode"),
                    "mountOptions": sc.get("mountOptions")}
        problems = []
        if provisioner != NFS_DRIVER:
            problems.append(f"provisioner is {provisioner}, expected {NFS_DRIVER}")
        missing = [p for p in REQUIRED_PARAMETERS if not lowered.get(p)]
        if missing:
            problems.append(f"parameters lack {', '.join(missing)} (required by {NFS_DRIVER})")
        unknown = sorted(k for k in parameters
                         if k.lower() not in KNOWN_PARAMETERS and not k.startswith("csi.storage.k8s.io/"))
        if unknown and provisioner == NFS_DRIVER:
            problems.append(f"unknown parameters {', '.join(unknown)} (provisioning fails with "
                            "'invalid parameter ... in storage class')")
        name = sc["metadata"]["name"]
        if problems:
            yield fail(sc, f"vault StorageClass {name}: {'; '.join(problems)}", evidence)
        elif reclaim != "Retain":
            yield warn(sc, f"vault StorageClass {name} has reclaimPolicy {reclaim}, expected Retain: "
                       "deleting a claim deletes its data on the NFS share", evidence)
        else:
            yield ok(sc, f"vault StorageClass {name} uses {NFS_DRIVER} on "
                     f"{lowered['server']}:{lowered['share']} with reclaimPolicy Retain", evidence)
