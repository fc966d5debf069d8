"""Publish a run's output files as a ConfigMap (the in-cluster CronJob of deploy/).

    python -m kfdoctor.publish DIR [--namespace kfdoctor] [--name kfdoctor-results]
                                   [--exit-code N] [--in-cluster | --kubeconfig FILE]

Every regular file of DIR becomes a key of the ConfigMap (created, or replaced when it exists);
the annotation ``kfdoctor.io/exit-code`` keeps kfdoctor check's exit code.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from .sources.errors import ConfigError, NotFound, SourceError
from .sources.kube import KubeOptions, KubeSource
from .sources.tape import Tape

LIMIT = 1_000_000   # a ConfigMap holds at most 1 MiB


def configmap(folder: Path, namespace: str, name: str, exit_code: int | None = None) -> dict:
    data = {f.name: f.read_text(encoding="utf-8", errors="replace")
            for f in sorted(Path(folder).iterdir()) if f.is_file()}
    size = sum(len(v.encode()) for v in data.values())
    if size > LIMIT:
        raise ConfigError(f"{folder}: {size} bytes do not fit in a ConfigMap (1 MiB); use a PVC "
                          "(deploy/README.md)")
    annotations = {"kfdoctor.io/published-at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if exit_code is not None:
        annotations["kfdoctor.io/exit-code"] = str(exit_code)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "annotations": annotations,
                         "labels": {"app.kubernetes.io/name": "kfdoctor",
                                    "app.kubernetes.io/component": "results"}},
            "data": data}


def publish(folder: Path, namespace: str, name: str, options: KubeOptions,
            exit_code: int | None = None) -> str:
    """Create or replace the ConfigMap; returns 'created' or 'replaced'."""
    body = configmap(folder, namespace, name, exit_code)
    kube = KubeSource(Tape("live"), options).open()
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    try:
        kube.write("PUT", f"{path}/{name}", body)
        return "replaced"
    except NotFound:
        kube.write("POST", path, body)
        return "created"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kfdoctor.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--namespace", default="kfdoctor")
    parser.add_argument("--name", default="kfdoctor-results")
    parser.add_argument("--exit-code", type=int, default=None)
    parser.add_argument("--in-cluster", action="store_true")
    parser.add_argument("--kubeconfig")
    args = parser.parse_args(argv)
    try:
        done = publish(args.folder, args.namespace, args.name,
                       KubeOptions(args.kubeconfig, in_cluster=args.in_cluster), args.exit_code)
    except (ConfigError, SourceError, OSError) as error:
        print(f"kfdoctor publish: {error}", file=sys.stderr)
        return 2
    print(f"ConfigMap {args.namespace}/{args.name} {done}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
