"""Run the test servers by hand.

    python -m tests.servers provision        # build/download every server into the cache, print times
    python -m tests.servers up [--no-auth] [--fault NAME ...]
                                             # start them, seed the job, print how to reach them; Ctrl-C stops
"""
from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .build_apiserver import ensure_kube_apiserver
from .etcd import ensure_etcd
from .faults import ALL_FAULTS
from .jarvice import start_jarvice_api
from .job import JobSpec
from .kube import start_kube_server
from .seed_kube import seed_kube


def _provisioners() -> list[tuple[str, Callable[[], Path]]]:
    from .keycloak import ensure_keycloak
    from .oauth2_proxy import ensure_oauth2_proxy

    return [("kube-apiserver", ensure_kube_apiserver), ("etcd", ensure_etcd),
            ("keycloak", ensure_keycloak), ("oauth2-proxy", ensure_oauth2_proxy)]


def provision() -> int:
    """Build or download what is missing; a failure exits non-zero (CI must fail loudly)."""
    total = time.monotonic()
    for name, ensure in _provisioners():
        started = time.monotonic()
        path = ensure()
        print(f"{name:15s} {time.monotonic() - started:7.1f}s  {path}", flush=True)
    print(f"{'total':15s} {time.monotonic() - total:7.1f}s", flush=True)
    return 0


def up(auth: bool, faults: list[str]) -> int:
    spec = JobSpec(faults=frozenset(faults))
    log_dir = Path(tempfile.mkdtemp(prefix="kfdoctor-servers-"))
    stoppers: list[Callable[[], None]] = []
    try:
        kube = start_kube_server(log_dir / "logs", log_dir / "kube")
        stoppers.append(kube.stop)
        jarvice = start_jarvice_api(spec)
        stoppers.append(jarvice.stop)
        issuer = None
        if auth:
            from .auth import start_auth_servers

            servers = start_auth_servers(log_dir / "logs", spec)
            stoppers.append(servers.stop)
            issuer = servers.issuer
        seeded = seed_kube(str(kube.kubeconfig), spec, keycloak_issuer=issuer, work_dir=log_dir / "seed")
        print(f"kubeconfig        {kube.kubeconfig}  (context {kube.context})")
        print(f"kube-apiserver    {kube.url}")
        print(f"etcd              {kube.etcd_url}")
        print(f"JARVICE API       {jarvice.url}  username={jarvice.username} apikey={jarvice.apikey}")
        if auth:
            print(f"Keycloak          {servers.keycloak_url}  admin {servers.admin_user}/{servers.admin_password}")
            print(f"realm/client      {servers.realm} / {servers.client_id}")
            print(f"job URL (Envoy)   {servers.envoy_url}")
            print(f"oauth2-proxy      {servers.oauth2_proxy_url}")
            print("users             " + ", ".join(f"{u}/{p}" for u, p in servers.passwords.items()))
        print(f"AppDef            {seeded.appdef_path}")
        print(f"host root         {seeded.host_root}")
        print(f"logs              {log_dir / 'logs'}")
        print(f"faults            {', '.join(sorted(spec.faults)) or 'none (healthy)'}")
        print("Ctrl-C stops everything.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        for stop in reversed(stoppers):
            stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.servers", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("provision", help="build/download every server into the cache")
    start = commands.add_parser("up", help="start the servers and seed a job; Ctrl-C stops")
    start.add_argument("--no-auth", action="store_true", help="only kube-apiserver, etcd and the JARVICE API")
    start.add_argument("--fault", action="append", default=[], choices=sorted(ALL_FAULTS),
                       help="seed this fault (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "provision":
        return provision()
    return up(auth=not args.no_auth, faults=args.fault)


if __name__ == "__main__":
    sys.exit(main())
