"""An NFS share used by several users' claims is mounted read-only (ReadOnlyMany)."""
from __future__ import annotations

from kfdoctor import Resource, Severity, check, ok, skip, warn
from kfdoctor.fixtures.storage import NFS_DRIVER, ROX

READ_ONLY_MOUNT_OPTIONS = {"ro"}


def nfs_share(pv: dict) -> tuple[str, str] | None:
    """(server, path[/subDir]) of an NFS-backed PersistentVolume, or None."""
    spec = pv.get("spec") or {}
    csi = spec.get("csi") or {}
    if csi.get("driver") == NFS_DRIVER:
        attributes = {k.lower(): v for k, v in (csi.get("volumeAttributes") or {}).items()}
        server, share = attributes.get("server"), attributes.get("share")
        if not server or share is None:
            return None
        path = "/" + "/".join(p for p in (share.strip("/"), (attributes.get("subdir") or "").strip("/")) if p)
        return server, path
    nfs = spec.get("nfs") or {}
    if nfs.get("server"):
        return nfs["server"], "/" + (nfs.get("path") or "").strip("/")
    return None


def read_only(pv: dict, claim: dict | None) -> tuple[bool, str]:
    """Is this mount read-only, and why (the fields judged)."""
    spec = pv.get("spec") or {}
    if (spec.get("csi") or {}).get("readOnly") or (spec.get("nfs") or {}).get("readOnly"):
        return True, "PV source readOnly: true"
    if READ_ONLY_MOUNT_OPTIONS & set(spec.get("mountOptions") or []):
        return True, "PV mountOptions ro"
    modes = set(((claim or {}).get("spec") or {}).get("accessModes") or spec.get("accessModes") or [])
    if modes and modes <= {ROX}:
        return True, "access mode ReadOnlyMany only"
    return False, f"access modes {', '.join(sorted(modes)) or '(none)'}"


@check(severity=Severity.MEDIUM, phase="post-launch", tags={"storage", "nfs", "vault"})
def storage_shared_volume_read_only(pvs, pvcs, profile_namespaces):
    """An NFS share used by several users' claims is mounted read-only (ReadOnlyMany).

    ## Why it matters
    The admin guide (7.3) recommends "to allow NFS multi-user access only on volumes with
    ReadOnlyMany access mode. Indeed, having several users with write access to the same volume
    could lead to undesired/unexpected side effects": one user's notebook can overwrite or
    delete another user's data, with nothing in Kubernetes to stop it. A share is judged with
    every PersistentVolume on the same server and path (``share`` + ``subDir``); a writable mount
    of a parent directory (e.g. the vault's root) also writes into every sub-directory below it.

    ## Manual fix
    Keep one writer: recreate the other users' PersistentVolumes and claims on that share with
    ``accessModes: [ReadOnlyMany]`` (and ``readOnly: true`` in the PV's ``csi`` or ``nfs``
    source), or give each user their own ``subDir`` of the share. A claim's access modes cannot be
    changed in place; the data on the share is not affected by recreating a PV with
    ``persistentVolumeReclaimPolicy: Retain``.
    """
    users = set(profile_namespaces)
    claims = {(c["metadata"].get("namespace"), c["metadata"]["name"]): c for c in pvcs}
    shares: dict[tuple[str, str], list[dict]] = {}
    for pv in pvs:
        share = nfs_share(pv)
        if share:
            shares.setdefault(share, []).append(pv)
    if not shares:
        skip("no PersistentVolume mounts an NFS share")
    judged = {}
    for (server, path), volumes in shares.items():
        mounts, writers = [], {}
        for pv in sorted(volumes, key=lambda v: v["metadata"]["name"]):
            ref = (pv.get("spec") or {}).get("claimRef") or {}
            key = (ref.get("namespace"), ref.get("name"))
            claim = claims.get(key)
            ro, why = read_only(pv, claim)
            mounts.append({"pv": pv["metadata"]["name"], "claim": f"{key[0]}/{key[1]}" if ref else None,
                           "bound": claim is not None, "read_only": ro, "why": why})
            if claim is not None and not ro and key[0] in users:
                writers.setdefault(key[0], []).append(f"{key[0]}/{key[1]}")
        judged[(server, path)] = (mounts, writers)
    for (server, path), (mounts, own) in sorted(judged.items()):
        # A writable mount of a parent directory writes into this one too.
        writers = {ns: list(c) for ns, c in own.items()}
        via = []
        for (other_server, other_path), (_, parent_writers) in judged.items():
            if other_server == server and other_path != path and \
                    path.startswith(other_path.rstrip("/") + "/"):
                for ns, cs in parent_writers.items():
                    writers.setdefault(ns, []).extend(f"{c} (via {other_path})" for c in cs)
                    via.append(other_path)
        resource = Resource("NFSShare", f"{server}:{path}")
        evidence = {"server": server, "path": path, "mounts": mounts,
                    "writer_namespaces": sorted(writers), "parent_mounts": sorted(set(via))}
        if len(writers) > 1:
            claims_rw = sorted(c for cs in writers.values() for c in cs)
            yield warn(resource, f"NFS share {server}:{path} is writable by {len(writers)} users' "
                       f"claims ({', '.join(claims_rw)}); expected one writer at most, the others "
                       "ReadOnlyMany", evidence)
        else:
            who = f"only {next(iter(writers))}" if writers else "no user"
            yield ok(resource, f"NFS share {server}:{path} is writable by {who}", evidence)
