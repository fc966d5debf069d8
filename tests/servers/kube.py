"""A real kube-apiserver (with etcd) on loopback, like envtest's control plane (test-servers.md §2.6-§2.9).

There are no controllers, scheduler or kubelet: tests write ``status`` themselves, and admission
plugins that depend on controllers are off (ServiceAccount: no token controller creates default
ServiceAccounts; StorageObjectInUseProtection: no controller removes the PVC/PV finalizers it adds;
TaintNodesByCondition: no node controller lifts the not-ready taint it adds).
"""
from __future__ import annotations

import base64
import shutil
import ssl
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .build_apiserver import ensure_kube_apiserver
from .etcd import EtcdServer, start_etcd
from .pki import CertificateAuthority, KeyPair, service_account_key
from .process import ManagedProcess, free_port

CONTEXT = "kfdoctor-test"
ADMIN_USER = "kfdoctor-admin"
DISABLED_ADMISSION = ("ServiceAccount", "StorageObjectInUseProtection", "TaintNodesByCondition")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_kubeconfig(path: Path, url: str, ca_pem: bytes, user: dict, context: str = CONTEXT,
                     namespace: str | None = None) -> Path:
    """Write a one-context kubeconfig; ``user`` is its ``users[].user`` entry."""
    ctx = {"cluster": context, "user": context, **({"namespace": namespace} if namespace else {})}
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": context, "preferences": {},
        "clusters": [{"name": context, "cluster": {"server": url,
                                                   "certificate-authority-data": _b64(ca_pem)}}],
        "users": [{"name": context, "user": user}],
        "contexts": [{"name": context, "context": ctx}],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


def _cert_user(pair: KeyPair) -> dict:
    return {"client-certificate-data": _b64(pair.cert_pem), "client-key-data": _b64(pair.key_pem)}


@dataclass
class KubeServer:
    """A running etcd + kube-apiserver; ``kubeconfig`` holds a system:masters identity."""
    url: str
    kubeconfig: Path
    etcd_url: str
    work_dir: Path
    log_dir: Path
    ca: CertificateAuthority
    processes: list[ManagedProcess] = field(default_factory=list)
    context: str = CONTEXT

    @property
    def ca_path(self) -> Path:
        return self.work_dir / "pki" / "ca.crt"

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid]

    def kubeconfig_for_user(self, user: str, groups: tuple[str, ...] = (), path: Path | None = None) -> Path:
        """A kubeconfig authenticating as ``user`` (in ``groups``) with a client certificate."""
        path = path or self.work_dir / "kubeconfigs" / f"user-{user}.yaml"
        return write_kubeconfig(path, self.url, self.ca.cert_pem, _cert_user(self.ca.client(user, groups)))

    def kubeconfig_for_token(self, token: str, name: str, namespace: str | None = None,
                             path: Path | None = None) -> Path:
        """A kubeconfig sending ``token`` as a bearer token."""
        path = path or self.work_dir / "kubeconfigs" / f"token-{name}.yaml"
        return write_kubeconfig(path, self.url, self.ca.cert_pem, {"token": token}, namespace=namespace)

    def kubeconfig_for_service_account(self, namespace: str, name: str, path: Path | None = None,
                                       expiration_seconds: int = 3600) -> Path:
        """A kubeconfig for ServiceAccount ``namespace/name`` (created if missing), via the TokenRequest API."""
        from kubernetes import client
        from kubernetes.client.rest import ApiException

        api = client.CoreV1Api(self.api_client())
        try:
            api.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
        except ApiException as exc:
            if exc.status != 409:
                raise
        request = {"spec": {"audiences": [], "expirationSeconds": expiration_seconds}}
        token = api.create_namespaced_service_account_token(name, namespace, request).status.token
        return self.kubeconfig_for_token(token, f"sa-{namespace}-{name}", namespace, path)

    def api_client(self, kubeconfig: Path | None = None):
        """A ``kubernetes.client.ApiClient`` for the admin (or another) kubeconfig."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(kubeconfig or self.kubeconfig))

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of each server process, by name."""
        return {p.name: _rss(p.pid) for p in self.processes if p.alive()}

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _ready(url: str, ctx: ssl.SSLContext) -> bool:
    with urllib.request.urlopen(f"{url}/readyz", context=ctx, timeout=5) as resp:
        return resp.status == 200 and resp.read() == b"ok"


def start_kube_server(log_dir: Path, work_dir: Path | None = None, timeout: float = 120) -> KubeServer:
    """Start etcd and kube-apiserver (RBAC on) on free loopback ports; return once ``/readyz`` is ok."""
    apiserver = ensure_kube_apiserver()
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="kfdoctor-kube-"))
    pki = work_dir / "pki"
    pki.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority()
    (pki / "ca.crt").write_bytes(ca.cert_pem)
    serving_cert, serving_key = ca.serving().write(pki, "apiserver")
    sa_pub, sa_key = service_account_key().write(pki, "sa")
    admin = ca.client(ADMIN_USER, ("system:masters",))

    etcd: EtcdServer = start_etcd(log_dir, work_dir / "etcd")
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    argv = [apiserver, f"--etcd-servers={etcd.url}",
            "--bind-address=127.0.0.1", f"--secure-port={port}",
            "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
            f"--cert-dir={pki}", f"--tls-cert-file={serving_cert}", f"--tls-private-key-file={serving_key}",
            f"--client-ca-file={pki / 'ca.crt'}", "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
            f"--disable-admission-plugins={','.join(DISABLED_ADMISSION)}",
            f"--service-account-issuer={url}/", f"--service-account-key-file={sa_pub}",
            f"--service-account-signing-key-file={sa_key}"]
    process = ManagedProcess("kube-apiserver", argv, log_dir)
    server = KubeServer(url, work_dir / "kubeconfig", etcd.url, work_dir, Path(log_dir), ca,
                        [etcd.process, process])
    try:
        process.start()
        ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        admin_cert, admin_key = admin.write(pki, "admin")
        ctx.load_cert_chain(admin_cert, admin_key)
        process.wait_ready(lambda: _ready(url, ctx), timeout)
    except BaseException:
        server.stop()
        raise
    write_kubeconfig(server.kubeconfig, url, ca.cert_pem, _cert_user(admin))
    return server


def remove_work_dir(server: KubeServer) -> None:
    """Delete the server's certificates, kubeconfigs and etcd data (after ``stop``)."""
    shutil.rmtree(server.work_dir, ignore_errors=True)
