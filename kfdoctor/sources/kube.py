"""The Kubernetes source: paginated lists per kind through the official client, recorded."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from .errors import AuthFailed, ConfigError, Conflict, Forbidden, NotFound, SourceError, Unreachable
from .kinds import VERSIONED_GROUPS, Kind
from .tape import Tape

PAGE_SIZE = 500


@dataclass(frozen=True)
class KubeOptions:
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


def api_client(options: KubeOptions):
    """An ApiClient from the kubeconfig (KUBECONFIG, --kubeconfig, --context) or in-cluster config."""
    import urllib3
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    if options.in_cluster:
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException as error:
            raise ConfigError(f"in-cluster config: {_one_line(error)}") from None
    else:
        path = kubeconfig_path(options.kubeconfig)
        try:
            config.load_kube_config(config_file=path, context=options.context,
                                    client_configuration=configuration)
        except ConfigException as error:
            raise ConfigError(f"kubeconfig {path}: {_one_line(error)}") from None
        except Exception as error:  # noqa: BLE001 - YAML, I/O and shape errors alike
            raise ConfigError(f"kubeconfig {path} is malformed: {_one_line(error)}") from None
    configuration.retries = urllib3.Retry(total=0, connect=0, read=0, redirect=2)
    return client.ApiClient(configuration)


def kubeconfig_path(given: str | None) -> str:
    """The kubeconfig to load: --kubeconfig, else the first file of $KUBECONFIG, else ~/.kube/config."""
    import os

    if given:
        candidates, origin = [given], "--kubeconfig"
    elif os.environ.get("KUBECONFIG"):
        candidates, origin = os.environ["KUBECONFIG"].split(os.pathsep), "$KUBECONFIG"
    else:
        candidates, origin = [os.path.expanduser("~/.kube/config")], "the default"
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            return candidate
    raise ConfigError(f"no kubeconfig: {origin} {os.pathsep.join(candidates)} does not exist "
                      "(pass --kubeconfig FILE, or --in-cluster inside a pod)")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class KubeSource:
    """Reads the cluster: one paginated list per kind, counted, recorded and replayable."""

    def __init__(self, tape: Tape, options: KubeOptions | None = None):
        self.tape = tape
        self.options = options or KubeOptions()
        self._client = None
        self._versions: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self.requests = 0

    # -- connection -------------------------------------------------------------------------
    def open(self) -> "KubeSource":
        """Connect and ask for the server version; bad input becomes ConfigError (exit 2)."""
        if self.tape.replaying:
            return self
        self._client = api_client(self.options)
        try:
            self.server_version = self.tape.read("kube", "version", {}, self._version)
        except (Unreachable, AuthFailed) as error:
            raise ConfigError(f"Kubernetes API server {self.host}: {error}") from None
        return self

    def _version(self) -> dict:
        """GET /version with the connect timeout as the whole budget: fail fast when unreachable."""
        timeout = self.options.connect_timeout
        return self._call("GET", "/version", timeout=(timeout, timeout))

    @property
    def host(self) -> str:
        return self._client.configuration.host if self._client else "(recording)"

    def _call(self, method: str, path: str, query: list | None = None, body: Any = None,
              raw: bool = False, timeout: tuple[float, float] | None = None) -> Any:
        from urllib3.exceptions import HTTPError

        if self._client is None:
            raise SourceError("the Kubernetes source is not open")
        with self._lock:
            self.requests += 1
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = ("application/merge-patch+json" if method == "PATCH"
                                       else "application/json")
        method, url, headers, body, _ = self._client.param_serialize(
            method, path, query_params=query or [], header_params=headers, body=body,
            auth_settings=["BearerToken"])
        try:
            response = self._client.call_api(
                method, url, header_params=headers, body=body,
                _request_timeout=timeout or (self.options.connect_timeout, self.options.read_timeout))
        except HTTPError as error:
            raise Unreachable(f"unreachable: {type(error).__name__}: {_short(error)}") from None
        data = response.read().decode("utf-8", "replace")
        if response.status >= 400:
            raise _api_error(response.status, response.reason, data, method, path)
        return data if raw else json.loads(data or "null")

    def _get(self, path: str, query: list | None = None) -> Any:
        return self._call("GET", path, query)

    # -- reads ------------------------------------------------------------------------------
    def version_of(self, kind: Kind) -> str:
        """The served version of ``kind``'s group (asked once per group); NotFound if none."""
        if kind.group not in VERSIONED_GROUPS:
            return kind.version
        if kind.group not in self._versions:
            def fetch() -> str | None:
                try:
                    group = self._get(f"/apis/{kind.group}")
                except NotFound:
                    return None
                served = [v["version"] for v in group.get("versions", [])]
                return kind.version if kind.version in served else \
                    (group.get("preferredVersion") or {}).get("version")
            self._versions[kind.group] = self.tape.read("kube", "group", {"group": kind.group},
                                                        fetch)
        version = self._versions[kind.group]
        if version is None:
            raise NotFound(f"the API group {kind.group} is not served (its CRDs are not "
                           "installed)")
        return version

    def list(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> list[dict]:
        """Every object of ``kind`` (optionally in one namespace), following continue tokens."""
        params = {"kind": kind.kind, "namespace": namespace, "labelSelector": label_selector,
                  "fieldSelector": field_selector}

        def fetch() -> list[dict]:
            version = self.version_of(kind)
            items, token = [], None
            while True:
                query = [("limit", PAGE_SIZE)]
                query += [(k, v) for k, v in (("labelSelector", label_selector),
                                              ("fieldSelector", field_selector),
                                              ("continue", token)) if v]
                page = self._get(kind.path(namespace, version), query)
                for item in page.get("items", []):
                    item.setdefault("kind", kind.kind)
                    item.setdefault("apiVersion", f"{kind.group}/{version}" if kind.group
                                    else version)
                items.extend(page.get("items", []))
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return items
        return self.tape.read("kube", "list", params, fetch)

    def logs(self, namespace: str, pod: str, container: str | None = None, tail_lines: int = 50,
             limit_bytes: int = 16384, previous: bool = False) -> str:
        """The tail of a container's log (bounded by lines and bytes)."""
        params = {"namespace": namespace, "pod": pod, "container": container,
                  "tailLines": tail_lines, "limitBytes": limit_bytes, "previous": previous}
        query = [(k, v) for k, v in params.items() if k not in ("namespace", "pod") and v]
        return self.tape.read("kube", "logs", params, lambda: self._call(
            "GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query, raw=True))

    # -- writes (remediations, node probe): never recorded, refused when replaying ----------
    def write(self, method: str, path: str, body: Any = None, dry_run: bool = False) -> Any:
        """A change (server-side dry run with ``dry_run``); a merge patch or PUT carrying
        ``metadata.resourceVersion`` fails with Conflict (409) if the object changed since."""
        if self.tape.replaying:
            raise SourceError("cannot change the cluster while replaying a recording")
        if dry_run and method == "DELETE" and isinstance(body, dict):
            body = {**body, "dryRun": ["All"]}   # a DELETE body's options override the query
        return self._call(method, path, [("dryRun", "All")] if dry_run else None, body)

    def read_fresh(self, path: str) -> Any:
        """GET one object now, bypassing the tape (a remediation's before-state and re-reads)."""
        if self.tape.replaying:
            raise SourceError("cannot read the live cluster while replaying a recording")
        return self._get(path)


def _short(error: BaseException) -> str:
    reason = getattr(error, "reason", None)
    return _one_line(reason or error)[:300]


def _api_error(status: int, reason: str, body: str, method: str, path: str) -> SourceError:
    try:
        message = json.loads(body or "{}").get("message") or reason
    except (ValueError, AttributeError):
        message = reason
    if status == 401:
        return AuthFailed(f"credentials rejected (401 Unauthorized): {message}")
    if status == 403:
        return forbidden(message, method, path)
    if status == 404:
        return NotFound(f"{path}: not found")
    if status == 409:
        return Conflict(f"{method} {path}: 409 Conflict: {message}")
    return SourceError(f"{method} {path}: {status} {message}")


def forbidden(message: str, method: str, path: str) -> Forbidden:
    """A Forbidden error naming the missing permission and the kubectl command that grants it."""
    from ..engine.registry import KubeRead

    parts = path.split("?")[0].strip("/").split("/")
    resource_path = (parts[0] == "api" and len(parts) >= 3) or (parts[0] == "apis" and len(parts) >= 4)
    if not resource_path:      # /version, /apis/<group>: discovery, a non-resource URL
        permission = f"get {path}"
        name = "kfdoctor-discovery"
        grant = (f"kubectl create clusterrole {name} --verb=get --non-resource-url={path} && "
                 f"kubectl create clusterrolebinding {name} --clusterrole={name} "
                 "--serviceaccount=<namespace>:<name>")
        return Forbidden(f"forbidden: {permission} ({message}); grant it with: {grant}",
                         permission, grant)
    group = "" if parts[0] == "api" else parts[1]
    rest = parts[2:] if parts[0] == "api" else parts[3:]
    if rest[:1] == ["namespaces"] and len(rest) > 2:
        rest = rest[2:]
    resource = rest[0] if rest else "?"
    subresource = rest[2] if len(rest) > 2 else None
    verb = {"GET": "list" if len(rest) == 1 else "get", "POST": "create", "PATCH": "patch",
            "PUT": "update", "DELETE": "delete"}.get(method, method.lower())
    read = KubeRead(verb, group, resource, subresource=subresource)
    permission = f"{verb} {read.full_resource}" + (f".{group}" if group else "")
    grant = read.kubectl_grant()
    return Forbidden(f"forbidden: {permission} ({message}); grant it with: {grant}", permission,
                     grant)
