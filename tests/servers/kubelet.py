"""A stand-in kubelet that serves container logs, so ``pods/log`` through the real kube-apiserver
has an answer (no kubelet runs in the tests).

kube-apiserver proxies ``GET /api/v1/namespaces/NS/pods/POD/log`` to
``https://<node address>:<status.daemonEndpoints.kubeletEndpoint.Port>/containerLogs/NS/POD/C``
with the same query; without ``--kubelet-certificate-authority`` it does not verify the kubelet's
serving certificate. This one serves a fixed log and, like an old or misbehaving kubelet, ignores
``tailLines`` and ``limitBytes`` (it records them), so the caller's own bounds are what is tested.
"""
from __future__ import annotations

import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .pki import CertificateAuthority


class LogKubelet:
    """HTTPS on a free loopback port; ``requests`` lists (path, query) of each log request."""

    def __init__(self, log_text: str):
        self.log_text = log_text
        self.requests: list[tuple[str, dict]] = []
        kubelet = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                kubelet.requests.append((url.path, parse_qs(url.query)))
                found = url.path.startswith("/containerLogs/")
                body = (kubelet.log_text if found else "404 page not found\n").encode()
                self.send_response(200 if found else 404)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        with tempfile.TemporaryDirectory() as folder:
            pair = CertificateAuthority("kfdoctor-test-kubelet-ca").serving()
            cert, key = pair.write(Path(folder), "kubelet")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="kubelet", daemon=True)
        self.thread.start()

    def node(self, name: str) -> tuple[dict, dict]:
        """A Node whose kubelet is this server: (the object to create, its status)."""
        body = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                      "kubernetes.io/os": "linux"}}}
        status = {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                  "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
                  "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                  "message": "stand-in kubelet serving logs"}]}
        return body, status

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
