"""Plans: what a remediation proposes, as a list of typed actions.

Every action knows how to
- ``preview()``: the readable diff (object, fields before -> after, or the call it makes);
- ``capture(ctx)``: read the live before-state *now* (fresh, not from the check's tape); it
  returns a Captured saying whether the change is already in place (a no-op) and raises
  Conflict when the object changed since the plan was made;
- ``apply(ctx, captured)``: make the change (Kubernetes: server-side dry run, then the write
  carrying the resourceVersion read when planning, so a concurrent change gives 409);
- ``undo(ctx, record)``: put back the before-state recorded in the journal, only if the object
  still holds what the fix wrote; it reports what it could not restore.

Actions are plain dataclasses so they go into the journal as JSON and come back for --undo.
A plan never deletes a PVC, a PV, a user or data: the only deletes are of objects the same
plan created (KubeCreate, KeycloakCreate) or of a role mapping it granted.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from ..engine.model import Resource
from ..sources.errors import Conflict, NotFound, SourceError

NEVER_CREATED_OR_DELETED = ("PersistentVolumeClaim", "PersistentVolume")


class FixFailed(SourceError):
    """An action could not be applied (the reason is for the user)."""


class NotRestorable(Exception):
    """Undo cannot put the before-state back (the reason is for the user)."""


# -- field paths ---------------------------------------------------------------------------------
Path_ = tuple  # a path into a nested dict: ("metadata", "annotations", "a.b/c")


def get_path(obj: Any, path: Path_) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def set_path(obj: dict, path: Path_, value: Any) -> None:
    """Set ``path`` to ``value``; None removes the key."""
    for key in path[:-1]:
        obj = obj.setdefault(key, {})
    if value is None:
        obj.pop(path[-1], None)
    else:
        obj[path[-1]] = value


def merge_patch(changes: list["Change"], to: str) -> dict:
    """A JSON merge patch setting each path to its ``to`` value (None deletes)."""
    patch: dict = {}
    for change in changes:
        node = patch
        for key in change.path[:-1]:
            node = node.setdefault(key, {})
        node[change.path[-1]] = getattr(change, to)
    return patch


def same(a: Any, b: Any, loose: bool = False) -> bool:
    """Equal values; with ``loose``, absent, null and '' count as the same (Keycloak attributes)."""
    if loose and a in (None, "", []) and b in (None, "", []):
        return True
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def show(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, default=str)


def path_text(path: Path_) -> str:
    out = ""
    for key in path:
        out += f".{key}" if key.replace("_", "").replace("-", "").isalnum() else f"[{key!r}]"
    return out.lstrip(".")


@dataclass
class Change:
    """One field: its path, the value read when planning, the value the fix sets."""
    path: Path_
    before: Any
    after: Any

    def __post_init__(self):
        self.path = tuple(self.path)

    def diff(self) -> str:
        return f"    {path_text(self.path)}: {show(self.before)} -> {show(self.after)}"


def _changes(items: list) -> list[Change]:
    return [c if isinstance(c, Change) else Change(**c) if isinstance(c, dict) else Change(*c)
            for c in items]


def _current(changes: list[Change], obj: Any) -> dict:
    return {path_text(c.path): get_path(obj, c.path) for c in changes}


def _holds(changes: list[Change], obj: Any, which: str, loose: bool = False) -> bool:
    return all(same(get_path(obj, c.path), getattr(c, which), loose) for c in changes)


def _differences(changes: list[Change], obj: Any, which: str, loose: bool = False) -> str:
    return "; ".join(f"{path_text(c.path)} is {show(get_path(obj, c.path))}, not "
                     f"{show(getattr(c, which))}" for c in changes
                     if not same(get_path(obj, c.path), getattr(c, which), loose))


@dataclass
class Captured:
    """The live before-state of one action, and whether the change is already in place."""
    before: Any
    noop: bool = False
    note: str = ""


# -- the actions -----------------------------------------------------------------------------------
ACTIONS: dict[str, type] = {}


def action(cls):
    ACTIONS[cls.__name__] = cls
    return cls


class Action:
    """Base class; subclasses are dataclasses registered with @action."""
    target: ClassVar[str] = ""        # which source it needs: kube, keycloak, jarvice, file, none
    reversible: ClassVar[bool] = True
    changes_state: ClassVar[bool] = True   # False for a wait: applying it changes nothing

    def preview(self) -> str:
        raise NotImplementedError

    def capture(self, ctx) -> Captured:
        raise NotImplementedError

    def apply(self, ctx, captured: Captured) -> Any:
        raise NotImplementedError

    def undo(self, ctx, record: dict) -> str:
        """Restore; return what was done ('restored ...' / 'already as before'); raise
        NotRestorable when it cannot."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        data = asdict(self)
        if "changes" in data:
            data["changes"] = [{"path": list(c.path), "before": c.before, "after": c.after}
                               for c in self.changes]
        return {"type": type(self).__name__, **data}

    @staticmethod
    def from_dict(data: dict) -> "Action":
        data = dict(data)
        cls = ACTIONS.get(data.pop("type", ""))
        if cls is None:
            raise ValueError(f"unknown action type in journal: {data}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# Kubernetes ----------------------------------------------------------------------------------------
def kube_path(ctx, kind: str, namespace: str | None, name: str | None = None) -> str:
    from ..sources.kinds import BY_KIND

    spec = BY_KIND.get(kind)
    if spec is None:
        raise FixFailed(f"kfdoctor does not know the API of kind {kind}")
    base = spec.path(namespace, ctx.kube.version_of(spec))
    return f"{base}/{name}" if name else base


def _where(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind} {namespace + '/' if namespace else ''}{name}"


@action
@dataclass
class KubePatch(Action):
    """A JSON merge patch of some fields of one object, guarded by its resourceVersion."""
    kind: str
    namespace: str | None
    name: str
    changes: list = field(default_factory=list)
    resource_version: str | None = None
    target: ClassVar[str] = "kube"

    def __post_init__(self):
        self.changes = _changes(self.changes)

    @classmethod
    def of(cls, obj: dict, values: dict, kind: str | None = None) -> "KubePatch":
        """Set ``values`` ({path tuple: new value}) on ``obj`` as read by the check."""
        meta = obj.get("metadata") or {}
        return cls(kind or obj.get("kind"), meta.get("namespace"), meta["name"],
                   [Change(p, get_path(obj, p), v) for p, v in values.items()],
                   meta.get("resourceVersion"))

    @property
    def where(self) -> str:
        return _where(self.kind, self.namespace, self.name)

    def preview(self) -> str:
        return "\n".join([f"  PATCH {self.where} (merge patch, resourceVersion "
                          f"{self.resource_version or '?'})"] + [c.diff() for c in self.changes])

    def _read(self, ctx) -> dict:
        return ctx.kube.read_fresh(kube_path(ctx, self.kind, self.namespace, self.name))

    def capture(self, ctx) -> Captured:
        live = self._read(ctx)
        version = (live.get("metadata") or {}).get("resourceVersion")
        if _holds(self.changes, live, "after"):
            return Captured({"fields": _current(self.changes, live), "resourceVersion": version},
                            noop=True, note=f"{self.where} already has these values")
        planned = ctx.expected_version(self.where, self.resource_version)
        if planned and version != planned:
            raise Conflict(f"{self.where} changed since the plan was made (resourceVersion "
                           f"{planned} -> {version})" + (
                               f": {_differences(self.changes, live, 'before')}"
                               if not _holds(self.changes, live, "before") else ""))
        if version != self.resource_version and not _holds(self.changes, live, "before"):
            raise Conflict(f"{self.where} was changed by an earlier plan of this run: "
                           f"{_differences(self.changes, live, 'before')}")
        return Captured({"fields": _current(self.changes, live), "resourceVersion": version})

    def apply(self, ctx, captured: Captured) -> Any:
        body = merge_patch(self.changes, "after")
        body.setdefault("metadata", {})["resourceVersion"] = captured.before["resourceVersion"]
        path = kube_path(ctx, self.kind, self.namespace, self.name)
        ctx.kube.write("PATCH", path, body, dry_run=True)
        result = ctx.kube.write("PATCH", path, body)
        version = (result.get("metadata") or {}).get("resourceVersion")
        ctx.produced(self.where, captured.before["resourceVersion"], version)
        return {"resourceVersion": version}

    def undo(self, ctx, record: dict) -> str:
        live = self._read(ctx)
        if _holds(self.changes, live, "before"):
            return f"{self.where} already as before"
        if not _holds(self.changes, live, "after"):
            raise NotRestorable(f"{self.where} changed since the fix: "
                                f"{_differences(self.changes, live, 'after')}")
        body = merge_patch(self.changes, "before")
        body.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
        path = kube_path(ctx, self.kind, self.namespace, self.name)
        ctx.kube.write("PATCH", path, body, dry_run=True)
        ctx.kube.write("PATCH", path, body)
        return f"{self.where} restored"


@action
@dataclass
class KubeCreate(Action):
    """Create one object; undo deletes it only if it is still the object this plan created."""
    object: dict
    target: ClassVar[str] = "kube"

    def __post_init__(self):
        if self.object.get("kind") in NEVER_CREATED_OR_DELETED:
            raise ValueError(f"a plan never creates or deletes a {self.object.get('kind')}")

    @property
    def kind(self) -> str:
        return self.object["kind"]

    @property
    def namespace(self) -> str | None:
        return self.object["metadata"].get("namespace")

    @property
    def name(self) -> str:
        return self.object["metadata"]["name"]

    @property
    def where(self) -> str:
        return _where(self.kind, self.namespace, self.name)

    def preview(self) -> str:
        body = json.dumps(self.object, indent=2)
        return f"  CREATE {self.where}\n" + "\n".join("    + " + line for line in body.splitlines())

    def _path(self, ctx, name: bool = True) -> str:
        return kube_path(ctx, self.kind, self.namespace, self.name if name else None)

    def capture(self, ctx) -> Captured:
        try:
            live = ctx.kube.read_fresh(self._path(ctx))
        except NotFound:
            return Captured({"exists": False})
        return Captured({"exists": True, "uid": live["metadata"].get("uid")}, noop=True,
                        note=f"{self.where} already exists (left as it is)")

    def apply(self, ctx, captured: Captured) -> Any:
        path = self._path(ctx, name=False)
        body = dict(self.object)
        parts = path.strip("/").split("/")
        body["apiVersion"] = parts[1] if parts[0] == "api" else f"{parts[1]}/{parts[2]}"
        ctx.kube.write("POST", path, body, dry_run=True)
        created = ctx.kube.write("POST", path, body)
        return {"uid": created["metadata"].get("uid"),
                "resourceVersion": created["metadata"].get("resourceVersion")}

    def undo(self, ctx, record: dict) -> str:
        uid = (record.get("result") or {}).get("uid")
        try:
            live = ctx.kube.read_fresh(self._path(ctx))
        except NotFound:
            return f"{self.where} already absent"
        if uid is None:   # crashed before the journal learnt the uid: match on the content
            if not _holds([Change(("spec",), None, self.object.get("spec"))], live, "after"):
                raise NotRestorable(f"{self.where} exists but its creation was not recorded "
                                    "and its spec differs: left in place")
            uid = live["metadata"]["uid"]
        if live["metadata"].get("uid") != uid:
            raise NotRestorable(f"{self.where} is not the object the fix created (uid differs): "
                                "left in place")
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": uid}}
        ctx.kube.write("DELETE", self._path(ctx), body, dry_run=True)
        ctx.kube.write("DELETE", self._path(ctx), body)
        return f"{self.where} deleted (the fix had created it)"


def rollout_pending(obj: dict) -> str | None:
    """Why a DaemonSet or Deployment has not rolled out yet (``kubectl rollout status``'s rules);
    None once it has."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 1):
        return "its controller has not seen the latest spec yet"
    if obj.get("kind") == "DaemonSet":
        desired = status.get("desiredNumberScheduled") or 0
        counts = (status.get("updatedNumberScheduled") or 0, status.get("numberAvailable") or 0)
        unit = "nodes"
    else:
        desired = spec.get("replicas", 1)
        counts = (status.get("updatedReplicas") or 0, status.get("availableReplicas") or 0)
        unit = "replicas"
    if min(counts) < desired:
        return f"{min(counts)} of {desired} {unit} updated and available"
    return None


@action
@dataclass
class KubeAwaitRollout(Action):
    """Wait until a DaemonSet or Deployment the plan wrote has rolled out, so the re-check sees
    its effect. Not rolled out in time is not a failure: the re-check says what is missing."""
    kind: str
    namespace: str
    name: str
    timeout: float = 120.0
    target: ClassVar[str] = "kube"
    changes_state: ClassVar[bool] = False

    @property
    def where(self) -> str:
        return _where(self.kind, self.namespace, self.name)

    def preview(self) -> str:
        return f"  WAIT until {self.where} has rolled out (at most {self.timeout:g} s)"

    def _pending(self, ctx) -> str | None:
        try:
            live = ctx.kube.read_fresh(kube_path(ctx, self.kind, self.namespace, self.name))
            return rollout_pending(live)
        except NotFound:
            return "it does not exist"

    def capture(self, ctx) -> Captured:
        if self._pending(ctx) is None:
            return Captured(None, noop=True, note=f"{self.where} has rolled out")
        return Captured(None)

    def apply(self, ctx, captured: Captured) -> Any:
        started = time.monotonic()
        while (pending := self._pending(ctx)) is not None:
            waited = time.monotonic() - started
            if waited >= self.timeout:
                return {"rolled_out": False, "waited_s": round(waited, 1), "pending": pending}
            time.sleep(1)
        return {"rolled_out": True, "waited_s": round(time.monotonic() - started, 1)}

    def undo(self, ctx, record: dict) -> str:
        return f"waiting for {self.where}: nothing to undo"


# Keycloak --------------------------------------------------------------------------------------------
def _kc_error(response, what: str) -> str:
    try:
        body = response.json()
        detail = body.get("errorMessage") or body.get("error_description") or body.get("error") \
            if isinstance(body, dict) else None
    except ValueError:
        detail = None
    detail = detail or (response.text or "")[:200]
    return f"Keycloak {what}: HTTP {response.status_code}" + (f": {detail}" if detail else "")


@action
@dataclass
class KeycloakUpdate(Action):
    """GET a representation under the realm, change some fields, PUT it back."""
    path: str                   # under admin/realms/<realm>: '' (realm), 'clients/<uuid>', ...
    label: str
    changes: list = field(default_factory=list)
    partial: bool = False       # PUT only the changed fields (the realm), not the whole representation
    target: ClassVar[str] = "keycloak"

    def __post_init__(self):
        self.changes = _changes(self.changes)

    @classmethod
    def of(cls, path: str, label: str, rep: dict, values: dict,
           partial: bool = False) -> "KeycloakUpdate":
        return cls(path, label, [Change(p, get_path(rep, p), v) for p, v in values.items()],
                   partial)

    def preview(self) -> str:
        return "\n".join([f"  PUT Keycloak {self.label} (admin/realms/<realm>/{self.path})"]
                         + [c.diff() for c in self.changes])

    def capture(self, ctx) -> Captured:
        live = ctx.keycloak_call("GET", self.path)
        if _holds(self.changes, live, "after", True):
            return Captured({"fields": _current(self.changes, live)}, noop=True,
                            note=f"{self.label} already has these values")
        if not _holds(self.changes, live, "before", True):
            raise Conflict(f"{self.label} changed since the plan was made: "
                           f"{_differences(self.changes, live, 'before', True)}")
        return Captured({"fields": _current(self.changes, live)})

    def _put(self, ctx, which: str) -> None:
        live = {} if self.partial else ctx.keycloak_call("GET", self.path)
        for change in self.changes:
            value = getattr(change, which)
            if value is None and change.path[0] == "attributes":
                value = ""   # Keycloak removes an attribute set to ''; a missing key is kept
            set_path(live, change.path, value)
        ctx.keycloak_call("PUT", self.path, live)

    def apply(self, ctx, captured: Captured) -> Any:
        self._put(ctx, "after")
        return None

    def undo(self, ctx, record: dict) -> str:
        live = ctx.keycloak_call("GET", self.path)
        if _holds(self.changes, live, "before", True):
            return f"{self.label} already as before"
        if not _holds(self.changes, live, "after", True):
            raise NotRestorable(f"{self.label} changed since the fix: "
                                f"{_differences(self.changes, live, 'after', True)}")
        self._put(ctx, "before")
        return f"{self.label} restored"


@action
@dataclass
class KeycloakCreate(Action):
    """POST a new item (a protocol mapper) into a collection; identified by its name."""
    path: str                   # the collection, e.g. clients/<uuid>/protocol-mappers/models
    label: str
    representation: dict
    target: ClassVar[str] = "keycloak"

    @property
    def name(self) -> str:
        return self.representation["name"]

    def preview(self) -> str:
        body = json.dumps(self.representation, indent=2)
        return (f"  POST Keycloak {self.label} (admin/realms/<realm>/{self.path})\n"
                + "\n".join("    + " + line for line in body.splitlines()))

    def _find(self, ctx) -> dict | None:
        items = ctx.keycloak_call("GET", self.path) or []
        return next((i for i in items if i.get("name") == self.name), None)

    def capture(self, ctx) -> Captured:
        existing = self._find(ctx)
        if existing is None:
            return Captured({"exists": False})
        wanted = [Change((k,), None, v) for k, v in self.representation.items() if k != "config"]
        wanted += [Change(("config", k), None, v)
                   for k, v in (self.representation.get("config") or {}).items()]
        if _holds(wanted, existing, "after"):
            return Captured({"exists": True, "id": existing.get("id")}, noop=True,
                            note=f"{self.label} already exists")
        raise Conflict(f"{self.label}: an item named {self.name!r} already exists with other "
                       "settings (created since the plan was made)")

    def apply(self, ctx, captured: Captured) -> Any:
        ctx.keycloak_call("POST", self.path, self.representation)
        created = self._find(ctx)
        return {"id": created.get("id") if created else None}

    def undo(self, ctx, record: dict) -> str:
        created_id = (record.get("result") or {}).get("id")
        existing = self._find(ctx)
        if existing is None:
            return f"{self.label} already absent"
        if created_id and existing.get("id") != created_id:
            raise NotRestorable(f"{self.label}: the item named {self.name!r} is not the one the "
                                "fix created: left in place")
        ctx.keycloak_call("DELETE", f"{self.path}/{existing['id']}")
        return f"{self.label} deleted (the fix had created it)"


@action
@dataclass
class KeycloakRoleGrant(Action):
    """Give a user a client role (never creates the user or touches its credentials)."""
    user_id: str
    username: str
    client_uuid: str
    client_id: str
    role: str
    target: ClassVar[str] = "keycloak"

    @property
    def label(self) -> str:
        return f"client role {self.client_id}/{self.role} of user {self.username}"

    def _mapping(self) -> str:
        return f"users/{self.user_id}/role-mappings/clients/{self.client_uuid}"

    def _has(self, ctx) -> bool:
        return any(r.get("name") == self.role for r in ctx.keycloak_call("GET", self._mapping()) or [])

    def preview(self) -> str:
        return (f"  POST Keycloak users/{self.username}/role-mappings/clients/{self.client_id}: "
                f"grant role {self.role!r}")

    def capture(self, ctx) -> Captured:
        if self._has(ctx):
            return Captured({"has_role": True}, noop=True, note=f"{self.username} already has "
                            f"{self.role}")
        return Captured({"has_role": False})

    def _role(self, ctx) -> dict:
        role = ctx.keycloak_call("GET", f"clients/{self.client_uuid}/roles/{self.role}")
        return {k: role[k] for k in ("id", "name") if k in role} | {"clientRole": True}

    def apply(self, ctx, captured: Captured) -> Any:
        ctx.keycloak_call("POST", self._mapping(), [self._role(ctx)])
        return None

    def undo(self, ctx, record: dict) -> str:
        if not self._has(ctx):
            return f"{self.label}: already without the role"
        ctx.keycloak_call("DELETE", self._mapping(), [self._role(ctx)])
        return f"{self.label}: role removed again"


@action
@dataclass
class KeycloakAction(Action):
    """A one-off admin call with no state to restore (e.g. send the verify-email mail)."""
    method: str
    path: str
    label: str
    body: Any = None
    query: dict = field(default_factory=dict)
    target: ClassVar[str] = "keycloak"
    reversible: ClassVar[bool] = False

    def preview(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return (f"  {self.method} Keycloak admin/realms/<realm>/{self.path}"
                + (f"?{query}" if query else "") + (f" {json.dumps(self.body)}" if self.body
                                                    is not None else "") + f"  ({self.label})")

    def capture(self, ctx) -> Captured:
        return Captured(None)

    def apply(self, ctx, captured: Captured) -> Any:
        try:
            ctx.keycloak_call(self.method, self.path, self.body, query=self.query)
        except FixFailed as error:
            text = str(error)
            if "execute-actions-email" in self.path or "send-verify-email" in self.path:
                if "No sender address" in text or "Failed to send" in text:
                    raise FixFailed(f"the mail cannot go: the realm has no working SMTP server "
                                    f"(Realm settings -> Email); {text}. Configure SMTP, or use "
                                    "--email-policy trust") from None
            raise
        return None

    def undo(self, ctx, record: dict) -> str:
        raise NotRestorable(f"{self.label}: a call like this cannot be taken back (nothing to "
                            "restore)")


# JARVICE -----------------------------------------------------------------------------------------------
SUSPENDED = "suspended by user"


@action
@dataclass
class JarviceSignal(Action):
    """Send a signal to the job through the JARVICE API (18 = SIGCONT resumes a paused job)."""
    number: int
    signal: int = 18
    undo_signal: int = 19   # how the admin guide pauses a job
    target: ClassVar[str] = "jarvice"

    def preview(self) -> str:
        return (f"  JARVICE /jarvice/signal number={self.number} signal={self.signal} "
                "(resume the suspended job)")

    def _suspended(self, ctx) -> bool:
        status = ctx.jarvice.act("status", number=self.number)
        entry = status.get(str(self.number)) or next(iter(status.values()), {})
        return SUSPENDED in str(entry.get("job_substatus_text") or "").lower()

    def capture(self, ctx) -> Captured:
        suspended = self._suspended(ctx)
        if self.signal == 18 and not suspended:
            return Captured({"suspended": False}, noop=True, note=f"job {self.number} is not "
                            "suspended")
        return Captured({"suspended": suspended})

    def apply(self, ctx, captured: Captured) -> Any:
        return ctx.jarvice.act("signal", number=self.number, signal=self.signal)

    def undo(self, ctx, record: dict) -> str:
        was = (record.get("before") or {}).get("suspended")
        now = self._suspended(ctx)
        if was == now:
            return f"job {self.number} already as before"
        if was and not now:
            ctx.jarvice.act("signal", number=self.number, signal=self.undo_signal)
            return f"job {self.number} suspended again (signal {self.undo_signal})"
        raise NotRestorable(f"job {self.number}: cannot restore a running state by signal")


# Files and manual steps ----------------------------------------------------------------------------------
@action
@dataclass
class WriteFile(Action):
    """Write a corrected copy beside the original (never the original itself)."""
    path: str
    content: str
    original: str = ""
    target: ClassVar[str] = "file"

    def __post_init__(self):
        if self.original and Path(self.path).resolve() == Path(self.original).resolve():
            raise ValueError("a plan never overwrites the original file; write beside it")

    def preview(self) -> str:
        import difflib

        try:
            old = Path(self.original).read_text().splitlines() if self.original else []
        except OSError:
            old = []
        diff = difflib.unified_diff(old, self.content.splitlines(), self.original or "/dev/null",
                                    self.path, lineterm="", n=2)
        return f"  WRITE {self.path} (corrected copy of {self.original})\n" + \
            "\n".join("    " + line for line in diff)

    def _read(self) -> str | None:
        try:
            return Path(self.path).read_text()
        except FileNotFoundError:
            return None

    def capture(self, ctx) -> Captured:
        current = self._read()
        if current == self.content:
            return Captured({"content": current}, noop=True, note=f"{self.path} already written")
        return Captured({"content": current})

    def apply(self, ctx, captured: Captured) -> Any:
        atomic_write(Path(self.path), self.content)
        return None

    def undo(self, ctx, record: dict) -> str:
        before = (record.get("before") or {}).get("content")
        current = self._read()
        if current == before:
            return f"{self.path} already as before"
        if current != self.content:
            raise NotRestorable(f"{self.path} changed since the fix: left in place")
        if before is None:
            os.unlink(self.path)
            return f"{self.path} removed (the fix had written it)"
        atomic_write(Path(self.path), before)
        return f"{self.path} restored"


@action
@dataclass
class PrintOnly(Action):
    """Commands or steps for a human (host commands, manual-only fixes): nothing is run."""
    text: str
    target: ClassVar[str] = "none"
    reversible: ClassVar[bool] = False

    def preview(self) -> str:
        return "\n".join("  | " + line for line in self.text.splitlines())

    def capture(self, ctx) -> Captured:
        return Captured(None, noop=True, note="manual step: printed, not run")

    def apply(self, ctx, captured: Captured) -> Any:
        return None

    def undo(self, ctx, record: dict) -> str:
        return "manual step: nothing was run"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` durably: temporary file, fsync, rename, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    try:
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


# -- the plan ---------------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What a remediation proposes for one finding. ``manual`` set = manual-only (not applied)."""
    summary: str
    actions: list = field(default_factory=list)
    manual: str | None = None
    verify_settings: dict = field(default_factory=dict)  # settings for the re-check (AppDef copy)
    note: str = ""                                        # said after the outcome (e.g. mail sent)
    settle_s: float = 0   # re-check until it passes for this long (a change others must pick up)
    # filled in by the fix run
    check: str = ""
    resource: Resource | None = None
    risk: str = "low"

    @classmethod
    def manual_only(cls, summary: str, steps: str) -> "Plan":
        """A fix kfdoctor will not make (recreating objects, data, hosts): printed, not applied."""
        return cls(summary, [PrintOnly(steps)], manual=summary)

    @property
    def applicable(self) -> list:
        return [a for a in self.actions if not isinstance(a, PrintOnly)]

    def diff(self) -> str:
        lines = [a.preview() for a in self.actions]
        if self.manual:
            lines.insert(0, "  manual only: kfdoctor will not do this; the steps are:")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"check": self.check, "resource": self.resource.to_dict() if self.resource else None,
                "risk": self.risk, "summary": self.summary, "manual": self.manual,
                "verify_settings": self.verify_settings, "note": self.note,
                "settle_s": self.settle_s, "diff": self.diff(),
                "actions": [a.to_dict() for a in self.actions]}
