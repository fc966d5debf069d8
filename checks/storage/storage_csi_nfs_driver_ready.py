"""The NFS CSI driver (nfs.csi.k8s.io) is registered and its controller and node plugins are ready."""
from kfdoctor import Resource, Severity, check, fail, ok
from kfdoctor.fixtures.storage import NFS_DRIVER


def deployment_readiness(deployment: dict) -> tuple[bool, dict]:
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    desired = spec.get("replicas", 1)
    ready = status.get("readyReplicas") or 0
    available = status.get("availableReplicas") or 0
    fields = {"replicas": desired, "readyReplicas": ready, "availableReplicas": available,
              "updatedReplicas": status.get("updatedReplicas") or 0}
    return desired > 0 and ready >= desired and available >= desired, fields


def daemonset_readiness(daemonset: dict) -> tuple[bool, dict]:
    status = daemonset.get("status") or {}
    desired = status.get("desiredNumberScheduled") or 0
    ready = status.get("numberReady") or 0
    available = status.get("numberAvailable") or 0
    fields = {"desiredNumberScheduled": desired, "numberReady": ready,
              "numberAvailable": available,
              "numberMisscheduled": status.get("numberMisscheduled") or 0}
    return desired > 0 and ready >= desired and available >= desired, fields


@check(severity=Severity.CRITICAL, phase="pre-launch", tags={"storage", "csi", "nfs"})
def storage_csi_nfs_driver_ready(csi_drivers, csi_driver_workloads, storage_classes):
    """The NFS CSI driver (nfs.csi.k8s.io) is registered and its controller and node plugins are ready.

    ## Why it matters
    JARVICE vaults reach Kubeflow as StorageClasses provisioned by csi-driver-nfs (admin guide
    ch. 3 and 7). Without the CSIDriver object, or with its controller Deployment not ready, vault
    claims stay Pending for ever with only the event "Waiting for a volume to be created either by
    the external provisioner 'nfs.csi.k8s.io' ..."; without ready node plugins, pods using them
    fail with "MountVolume.SetUp failed".

    ## Manual fix
    Install csi-driver-nfs on the host cluster (https://github.com/kubernetes-csi/csi-driver-nfs,
    Helm chart ``csi-driver-nfs``). When installed but not ready, look at its pods and logs:
    ``kubectl -n <namespace> get pod -o wide -l app=<controller name>`` and
    ``kubectl -n <namespace> logs <pod> -c nfs`` (namespace and names are in this finding's
    evidence; Helm installs may rename them). Then ``kubectl -n <namespace> rollout restart
    deploy/<controller>`` once the cause (image pull, node selector, RBAC) is fixed.
    """
    users = sorted(sc["metadata"]["name"] for sc in storage_classes
                   if sc.get("provisioner") == NFS_DRIVER)
    driver = next((d for d in csi_drivers if d["metadata"]["name"] == NFS_DRIVER), None)
    if driver is None:
        yield fail(Resource("CSIDriver", NFS_DRIVER),
                   f"CSIDriver {NFS_DRIVER} does not exist; expected it registered by csi-driver-nfs",
                   {"csi_drivers": sorted(d["metadata"]["name"] for d in csi_drivers),
                    "storage_classes_using_it": users})
    else:
        spec = driver.get("spec") or {}
        yield ok(driver, f"CSIDriver {NFS_DRIVER} is registered",
                 {"attachRequired": spec.get("attachRequired"),
                  "volumeLifecycleModes": spec.get("volumeLifecycleModes"),
                  "storage_classes_using_it": users})

    workloads = csi_driver_workloads.get(NFS_DRIVER)
    roles = (("controller", "Deployment", workloads.controllers if workloads else [],
              deployment_readiness),
             ("node", "DaemonSet", workloads.nodes if workloads else [], daemonset_readiness))
    for role, kind, found, readiness in roles:
        if not found:
            yield fail(Resource(kind, f"{NFS_DRIVER} {role}"),
                       f"no {kind} runs the {NFS_DRIVER} {role} plugin in any namespace; expected "
                       f"one (looked for --drivername={NFS_DRIVER}, the nfsplugin image, "
                       f"label app=csi-nfs-{role})",
                       {"driver": NFS_DRIVER, "role": role})
            continue
        for workload in found:
            ready, fields = readiness(workload.obj)
            evidence = {"driver": NFS_DRIVER, "role": role, "found_by": workload.found_by, **fields}
            name = workload.ref
            if ready:
                yield ok(workload.obj, f"{name} ({role} of {NFS_DRIVER}) is fully ready", evidence)
            elif kind == "Deployment":
                yield fail(workload.obj, f"{name} ({role} of {NFS_DRIVER}) has "
                           f"{fields['readyReplicas']}/{fields['replicas']} replicas ready; "
                           "expected all ready", evidence)
            else:
                yield fail(workload.obj, f"{name} ({role} of {NFS_DRIVER}) has "
                           f"{fields['numberReady']}/{fields['desiredNumberScheduled']} pods ready; "
                           "expected one ready pod on every node", evidence)
